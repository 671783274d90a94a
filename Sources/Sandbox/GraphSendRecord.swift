import ChannelKit
import Foundation
import HTTPTypes
import MetaPlatform

/// What the emulator records for an accepted Send API call.
public struct GraphSendRecord: Sendable {
    /// The person it went to; empty when unknown (a read receipt for a forgotten message).
    public var recipient: String
    /// The outbox item's fields (the emulator adds `seq` and `time`).
    public var outbox: [MetaJSON.Member]
    /// What the person's thread shows (the emulator numbers them and adds the raw body).
    public var entries: [SandboxEntry]
    /// Graph's answer.
    public var answer: MetaJSON
    /// Whether the call sent a message: it used ``GraphSendCall/messageID`` and counts for
    /// the `min_texts` long poll.
    public var isMessage: Bool

    /// Creates a record.
    public init(recipient: String, outbox: [MetaJSON.Member], entries: [SandboxEntry], answer: MetaJSON, isMessage: Bool) {
        self.recipient = recipient
        self.outbox = outbox
        self.entries = entries
        self.answer = answer
        self.isMessage = isMessage
    }
}
