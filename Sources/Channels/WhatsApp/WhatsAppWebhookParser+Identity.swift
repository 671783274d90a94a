import ChannelKit
import Foundation
import MetaPlatform

/// Who a WhatsApp message is from, and the system messages that change it.
///
/// Since 2026 every person has a business-scoped user id (BSUID, `US.13491208655302741918`):
/// `messages[].from_user_id` and `contacts[].user_id`; the phone number (`from`,
/// `contacts[].wa_id`) is absent for people who adopted a username and have not written
/// recently. The event is keyed on the BSUID when there is one, with the phone number as an
/// alternative id; the store then keeps the person under the id it already knew them by.
extension WhatsAppWebhookParser {
    /// A message's sender ids.
    struct Sender {
        /// The business-scoped user id, when the webhook carries one.
        var userID: String?
        /// The phone number (`wa_id`), when the webhook carries one.
        var phone: String?

        /// The ids beside the one the event is keyed on.
        var alternatives: [String] {
            guard userID != nil, let phone else { return [] }
            return [phone]
        }
    }

    /// The sender of `item`: `from_user_id` and `from`, completed from the `contacts[]` entry
    /// with the same phone number or BSUID.
    static func sender(of item: MetaJSON, contacts: MetaJSON?) -> Sender {
        var sender = Sender(userID: item["from_user_id"]?.idValue?.nonEmpty, phone: item["from"]?.idValue?.nonEmpty)
        let cards = contacts?.arrayValue ?? []
        let card = cards.first { card in
            (sender.phone != nil && card["wa_id"]?.idValue == sender.phone)
                || (sender.userID != nil && card["user_id"]?.idValue == sender.userID)
        } ?? (cards.count == 1 ? cards.first : nil)
        if let card {
            if sender.userID == nil { sender.userID = card["user_id"]?.idValue?.nonEmpty }
            if sender.phone == nil { sender.phone = card["wa_id"]?.idValue?.nonEmpty }
        }
        return sender
    }

    /// A `system` message: recorded, never answered. A change of the person's id
    /// (`user_changed_user_id`: a new BSUID; `user_changed_number`: a new phone number) names the
    /// old id as the sender and the new one as an alternative, so the store keeps the person's
    /// history and links under the id it knew and takes the new one as theirs too.
    ///
    /// `user_changed_user_id` has no `from` (Meta's system-messages reference, updated
    /// 2026-08-11): the old BSUID is `from_user_id`, else `system.previous_user_id`, else the
    /// first id in `system.body` ("User … changed from <old> to <new>"); the new one is
    /// `system.user_id`.
    func systemEvent(_ item: MetaJSON, id: String, phoneNumberID: String, timestamp: Date) -> InboundEvent {
        let system = item["system"]
        let type = system?["type"]?.stringValue ?? ""
        let sender = Self.sender(of: item, contacts: nil)
        var old: String?
        var new: String?
        switch type {
        case "user_changed_user_id":
            let fromBody = Self.changedIDs(in: system?["body"]?.stringValue)
            old = sender.userID ?? system?["previous_user_id"]?.idValue?.nonEmpty ?? fromBody?.old
            new = system?["user_id"]?.idValue?.nonEmpty ?? fromBody?.new
        case "user_changed_number":
            old = sender.phone
            new = system?["wa_id"]?.idValue?.nonEmpty ?? system?["new_wa_id"]?.idValue?.nonEmpty
        default:
            return InboundEvent(channel: channel, accountID: phoneNumberID, senderID: sender.userID ?? sender.phone ?? phoneNumberID,
                                platformMessageID: id, timestamp: timestamp,
                                kind: .ignored(IgnoredEvent(reason: .unknown, targetMessageID: id, detail: "system:\(type.prefix(40))")))
        }
        // The person's key: their BSUID when the message names it (a phone change), else the old id.
        let key = (type == "user_changed_number" ? sender.userID : nil) ?? old ?? new ?? phoneNumberID
        var alternatives = [old, new].compactMap { $0 }.filter { $0 != key }
        if type == "user_changed_number", sender.userID != nil, let phone = sender.phone, !alternatives.contains(phone) {
            alternatives.append(phone)
        }
        return InboundEvent(channel: channel, accountID: phoneNumberID, senderID: key, platformMessageID: id, timestamp: timestamp,
                            kind: .ignored(IgnoredEvent(reason: .identityChange, targetMessageID: id, detail: String(type.prefix(40)))),
                            alternativeSenderIDs: alternatives)
    }

    /// The two ids of "User <name> changed from <old> to <new>", if the body reads so.
    static func changedIDs(in body: String?) -> (old: String, new: String)? {
        guard let body, let from = body.range(of: " changed from ", options: .backwards) else { return nil }
        let rest = body[from.upperBound...]
        guard let to = rest.range(of: " to ") else { return nil }
        let old = rest[..<to.lowerBound].trimmingCharacters(in: .whitespaces)
        let new = rest[to.upperBound...].trimmingCharacters(in: .whitespaces)
        guard !old.isEmpty, !new.isEmpty, !old.contains(" "), !new.contains(" ") else { return nil }
        return (old, new)
    }

    /// A message Sandra cannot read: one `unsupported` attachment naming the platform's type.
    static func unsupported(_ platformType: String, replyTo: ReplyReference?) -> InboundMessage {
        InboundMessage(attachments: [Attachment(kind: .unsupported, platformType: platformType)], replyTo: replyTo)
    }
}
