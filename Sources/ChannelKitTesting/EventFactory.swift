import ChannelKit
import Foundation

/// Builds normalized events for tests.
public enum EventFactory {
    /// A text message event.
    public static func text(_ text: String, from sender: String, id: String, channel: String = "test",
                            account: String = "acct", at milliseconds: Int64 = 1_760_000_000_000) -> InboundEvent {
        InboundEvent(channel: channel, accountID: account, senderID: sender, platformMessageID: id,
                     timestamp: Date(timeIntervalSince1970: Double(milliseconds) / 1000),
                     kind: .message(InboundMessage(text: text)))
    }

    /// A message with attachments (and text, when given).
    public static func media(_ attachments: [Attachment], text: String? = nil, from sender: String, id: String,
                             channel: String = "test", account: String = "acct",
                             at milliseconds: Int64 = 1_760_000_000_000) -> InboundEvent {
        InboundEvent(channel: channel, accountID: account, senderID: sender, platformMessageID: id,
                     timestamp: Date(timeIntervalSince1970: Double(milliseconds) / 1000),
                     kind: .message(InboundMessage(text: text, attachments: attachments)))
    }

    /// An event that is never answered.
    public static func ignored(_ reason: IgnoredEvent.Reason, from sender: String, id: String, channel: String = "test") -> InboundEvent {
        InboundEvent(channel: channel, accountID: "acct", senderID: sender, platformMessageID: id,
                     timestamp: Date(timeIntervalSince1970: 1_760_000_000), kind: .ignored(IgnoredEvent(reason: reason)))
    }
}
