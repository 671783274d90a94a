import ChannelKit
import Crypto
import Foundation

/// An item of a Meta webhook delivery that a channel's parser could not read, recorded as
/// an ignored event instead of refusing the whole delivery.
///
/// Meta retries a delivery that is not answered 200, and every other item of it with it: one
/// item of a shape the parser does not know (a new system message, a field that changed)
/// would otherwise hold back the messages beside it for days. The event keeps the reason
/// (the place in the payload and what is wrong with it, never message text) so the item can
/// be found with `sandra inbox`.
public enum UnreadableItem {
    /// The ignored event for `item`.
    /// - Parameters:
    ///   - channel: the configured channel name.
    ///   - accountID: the business account the item was delivered for, if known.
    ///   - senderID: the person, if the item names one; else the account.
    ///   - itemID: the item's own id, if it has one; else a digest of the item is used.
    ///   - timestamp: the item's time, if it has one.
    ///   - error: why it could not be read.
    public static func event(channel: String, accountID: String, senderID: String?, itemID: String?, item: MetaJSON,
                             timestamp: Date?, error: any Error) -> InboundEvent {
        let reason = (error as? ChannelError)?.message ?? "\(type(of: error))"
        let account = accountID.isEmpty ? "unknown" : accountID
        let id = itemID.flatMap { $0.isEmpty ? nil : $0 } ?? digest(item)
        return InboundEvent(
            channel: channel, accountID: account, senderID: senderID.flatMap { $0.isEmpty ? nil : $0 } ?? account,
            platformMessageID: "unreadable:\(id.prefix(200))", timestamp: timestamp ?? Date(timeIntervalSince1970: 0),
            kind: .ignored(IgnoredEvent(reason: .malformed, targetMessageID: itemID, detail: String(reason.prefix(300)))))
    }

    /// A short stable digest of a JSON value (decoded objects have sorted keys), for ids of
    /// records that carry none.
    public static func digest(_ value: MetaJSON) -> String {
        let hash = SHA256.hash(data: value.encoded())
        return Hex.encode(Array(hash.prefix(8)))
    }
}
