import ChannelKit
import Foundation

// MARK: - One messaging item

extension MessagingWebhookParser {
    private static let handoverKeys = ["pass_thread_control", "take_thread_control", "request_thread_control", "release_thread_control"]
    private static let envelopeKeys: Set<String> = ["sender", "recipient", "timestamp"]

    func event(_ item: MetaJSON, _ context: EntryContext, _ place: String) throws -> InboundEvent {
        guard let members = item.objectValue else { throw envelope.malformed(place, "is not an object") }
        guard let senderID = item["sender"]?["id"]?.idValue, !senderID.isEmpty else {
            throw envelope.malformed(place + ".sender.id", "is missing")
        }
        let recipientID = item["recipient"]?["id"]?.idValue
        guard let millis = item["timestamp"].flatMap(Self.milliseconds) ?? context.entryTime else {
            throw envelope.malformed(place + ".timestamp", "is missing (and the entry has no time)")
        }

        var eventSender = senderID
        let platformID: String
        let kind: InboundEvent.Kind

        if let message = item["message"], !message.isNull {
            guard message.objectValue != nil else { throw envelope.malformed(place + ".message", "is not an object") }
            guard let mid = message["mid"]?.idValue, !mid.isEmpty else { throw envelope.malformed(place + ".message.mid", "is missing") }
            if message["is_echo"]?.boolValue == true {
                // The business account sent it: the conversation is the recipient's.
                guard let recipientID, !recipientID.isEmpty else { throw envelope.malformed(place + ".recipient.id", "is missing on an echo") }
                eventSender = recipientID
                platformID = mid
                let appID = message["app_id"]?.idValue?.nonEmpty
                if let appID, appID == ownAppID {
                    // This host's own send, by the app id the operator configured: nothing to decide.
                    kind = .ignored(IgnoredEvent(reason: .echo, targetMessageID: mid))
                } else {
                    let sent = try inboundMessage(message, place + ".message")
                    kind = .echo(Echo(text: sent.text, attachments: sent.attachments, appID: appID))
                }
            } else if message["is_self"]?.boolValue == true {
                platformID = mid
                kind = .ignored(IgnoredEvent(reason: .ownAccount, targetMessageID: mid))
            } else if message["is_deleted"]?.boolValue == true {
                platformID = "delete:\(mid)"
                kind = .ignored(IgnoredEvent(reason: .delete, targetMessageID: mid))
            } else if message["is_unsupported"]?.boolValue == true {
                // A message the platform cannot show the API: the person is told what Sandra reads.
                platformID = mid
                kind = .message(InboundMessage(attachments: [Attachment(kind: .unsupported, platformType: "is_unsupported")]))
            } else {
                platformID = mid
                let inbound = try inboundMessage(message, place + ".message")
                kind = messageKind?(inbound, mid) ?? .message(inbound)
            }
        } else if let reaction = item["reaction"], !reaction.isNull {
            let mid = reaction["mid"]?.idValue ?? ""
            let action = reaction["action"]?.stringValue ?? "react"
            let emoji = reaction["emoji"]?.stringValue ?? reaction["reaction"]?.stringValue
            let detail = [action, emoji].compactMap { $0 }.joined(separator: " ")
            platformID = "reaction:\(mid):\(action):\(millis)"
            kind = .ignored(IgnoredEvent(reason: .reaction, targetMessageID: mid.nonEmpty, detail: detail))
        } else if let read = item["read"], !read.isNull {
            let mid = read["mid"]?.idValue ?? read["watermark"]?.integerValue.map { String($0) } ?? ""
            platformID = "read:\(mid):\(senderID):\(millis)"
            kind = .ignored(IgnoredEvent(reason: .read, targetMessageID: mid.nonEmpty))
        } else if let delivery = item["delivery"], !delivery.isNull {
            // Messenger's delivery receipt: every message up to `watermark` reached the person.
            let mid = delivery["mids"]?.arrayValue?.first?.idValue ?? ""
            let watermark = delivery["watermark"]?.integerValue.map { String($0) } ?? ""
            platformID = "delivery:\(watermark):\(senderID):\(millis)"
            kind = .ignored(IgnoredEvent(reason: .status, targetMessageID: mid.nonEmpty, detail: "delivered"))
        } else if let edit = item["message_edit"], !edit.isNull {
            let mid = edit["mid"]?.idValue ?? ""
            let count = edit["num_edit"]?.integerValue ?? 0
            platformID = "edit:\(mid):\(count)"
            // The new text is not kept: an edit is recorded, not answered.
            kind = .ignored(IgnoredEvent(reason: .edit, targetMessageID: mid.nonEmpty, detail: "edit \(count)"))
        } else if let postback = item["postback"], !postback.isNull {
            guard postback.objectValue != nil else { throw envelope.malformed(place + ".postback", "is not an object") }
            platformID = postback["mid"]?.idValue?.nonEmpty ?? "postback:\(senderID):\(millis)"
            kind = .postback(Postback(title: postback["title"]?.stringValue, payload: postback["payload"]?.stringValue,
                                      referral: Self.referral(postback["referral"])))
        } else if let referral = item["referral"], !referral.isNull {
            platformID = "referral:\(senderID):\(millis)"
            kind = .ignored(IgnoredEvent(reason: .referral, detail: referral["ref"]?.stringValue.map { String($0.prefix(200)) }))
        } else if let key = Self.handoverKeys.first(where: { item[$0] != nil }), let change = item[key] {
            platformID = "handover:\(key):\(senderID):\(millis)"
            kind = .control(Self.threadControl(key, change))
        } else {
            let keys = members.map(\.key).filter { !Self.envelopeKeys.contains($0) }.sorted()
            let name = keys.first.map { String($0.prefix(60)) } ?? "empty"
            platformID = "unknown:\(name):\(senderID):\(millis)"
            kind = .ignored(IgnoredEvent(reason: .unknown, detail: name))
        }

        var event = InboundEvent(channel: channel, accountID: context.accountID, senderID: eventSender,
                                 platformMessageID: platformID, timestamp: Self.date(millis), kind: kind)
        if senderID == context.accountID, !Self.isEcho(kind) {
            // The business account is the sender (a test message to itself, an action of its own).
            event.kind = .ignored(IgnoredEvent(reason: .ownAccount, targetMessageID: Self.targetMessageID(of: event)))
        }
        return event
    }

}

// MARK: - Pieces

extension MessagingWebhookParser {
    func inboundMessage(_ message: MetaJSON, _ place: String) throws -> InboundMessage {
        var attachments: [Attachment] = []
        if let value = message["attachments"], !value.isNull {
            guard let items = value.arrayValue else { throw envelope.malformed(place + ".attachments", "is not an array") }
            for (index, item) in items.enumerated() {
                guard item.objectValue != nil else { throw envelope.malformed("\(place).attachments[\(index)]", "is not an object") }
                attachments.append(attachment(item))
            }
        }
        var replyTo: ReplyReference?
        if let reply = message["reply_to"], !reply.isNull {
            if let story = reply["story"], story.objectValue != nil {
                replyTo = .story(id: story["id"]?.idValue ?? "", url: story["url"]?.stringValue)
            } else if let mid = reply["mid"]?.idValue {
                replyTo = .message(id: mid)
            }
        }
        return InboundMessage(
            text: message["text"]?.stringValue,
            attachments: attachments,
            quickReplyPayload: message["quick_reply"]?["payload"]?.stringValue,
            replyTo: replyTo,
            referral: Self.referral(message["referral"])
        )
    }

    /// An attachment, its kind read from the product's table: `{"type", "payload": {"url", "title"}}`.
    func attachment(_ item: MetaJSON) -> Attachment {
        let type = item["type"]?.stringValue ?? "unknown"
        let payload = item["payload"]
        return Attachment(
            kind: attachmentKinds[type] ?? .other,
            platformType: type,
            url: payload?["url"]?.stringValue,
            title: payload?["title"]?.stringValue
        )
    }

    /// A Conversation Routing webhook: `pass_thread_control {new_owner_app_id, previous_owner_app_id,
    /// metadata}`, `take_thread_control` (the same fields), `request_thread_control
    /// {requested_owner_app_id, metadata}`, `release_thread_control`.
    static func threadControl(_ key: String, _ change: MetaJSON) -> ThreadControl {
        let metadata = change["metadata"]?.stringValue.map { String($0.prefix(500)) }
        switch key {
        case "pass_thread_control":
            return ThreadControl(action: .pass, appID: change["new_owner_app_id"]?.idValue,
                                 previousAppID: change["previous_owner_app_id"]?.idValue, metadata: metadata)
        case "take_thread_control":
            return ThreadControl(action: .take, appID: change["new_owner_app_id"]?.idValue,
                                 previousAppID: change["previous_owner_app_id"]?.idValue, metadata: metadata)
        case "request_thread_control":
            return ThreadControl(action: .request, appID: change["requested_owner_app_id"]?.idValue, metadata: metadata)
        default:
            return ThreadControl(action: .release, appID: change["new_owner_app_id"]?.idValue,
                                 previousAppID: change["previous_owner_app_id"]?.idValue, metadata: metadata)
        }
    }

    static func referral(_ value: MetaJSON?) -> Referral? {
        guard let value, value.objectValue != nil else { return nil }
        return Referral(ref: value["ref"]?.stringValue, source: value["source"]?.stringValue, type: value["type"]?.stringValue)
    }

    /// Epoch milliseconds from a number or a numeric string. Values below 10^11 are taken as
    /// seconds (10^11 ms is 1973; 10^11 s is the year 5138): Meta's messaging timestamps are
    /// milliseconds, but some test payloads carry seconds.
    static func milliseconds(_ value: MetaJSON) -> Int64? {
        guard let number = value.integerValue, number >= 0 else { return nil }
        return number < 100_000_000_000 ? number * 1000 : number
    }

    static func date(_ millis: Int64) -> Date {
        Date(timeIntervalSince1970: Double(millis) / 1000)
    }

    static func isEcho(_ kind: InboundEvent.Kind) -> Bool {
        switch kind {
        case .echo: true
        case .ignored(let ignored): ignored.reason == .echo
        case .message, .postback, .control: false
        }
    }

    static func targetMessageID(of event: InboundEvent) -> String? {
        switch event.kind {
        case .ignored(let ignored): ignored.targetMessageID
        case .message, .postback, .echo: event.platformMessageID
        case .control: nil
        }
    }

    static func kindName(_ kind: InboundEvent.Kind) -> String {
        switch kind {
        case .message: "message"
        case .postback: "postback"
        case .echo: "echo"
        case .control(let control): "thread_control:" + control.action.rawValue
        case .ignored(let ignored): ignored.reason.rawValue
        }
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
