import ChannelKit
import Foundation
import MetaPlatform

/// Turns a verified Instagram webhook body into normalized events.
///
/// Walks every `entry`, every item of its `messaging` and `standby` arrays, and `changes`
/// entries (the App Dashboard's test button sends a `messages` change shaped like a messaging
/// item). An item that cannot be read is recorded as ignored with the reason (the place in
/// the payload that is wrong, never message text), and the rest of the delivery is accepted;
/// only a body that is not an Instagram webhook at all is refused.
struct InstagramWebhookParser: Sendable {
    /// The configured channel name put on every event.
    let channel: String
    /// What a story mention is answered with; empty: recorded, not answered.
    var storyMentionReply: String = ""

    /// Parses a body.
    /// - Throws: ``ChannelError`` `.malformedPayload` when the body is not JSON, not an object,
    ///   not of `object: instagram`, or has no `entry` array.
    func parse(_ body: [UInt8]) throws -> [InboundEvent] {
        let root: MetaJSON
        do {
            root = try MetaJSON.decode(body)
        } catch {
            throw ChannelError.malformedPayload("instagram webhook: body is not valid JSON")
        }
        guard root.objectValue != nil else { throw malformed("body", "is not a JSON object") }
        guard let object = root["object"]?.stringValue else { throw malformed("object", "is missing") }
        guard object == "instagram" else {
            throw malformed("object", "is \"\(object.prefix(40))\", not \"instagram\"")
        }
        guard let entries = root["entry"]?.arrayValue else { throw malformed("entry", "is not an array") }

        var events: [InboundEvent] = []
        for (entryIndex, entry) in entries.enumerated() {
            let place = "entry[\(entryIndex)]"
            let accountID = entry["id"]?.idValue ?? ""
            let entryTime = entry["time"].flatMap(Self.milliseconds)
            func unreadable(_ item: MetaJSON, _ error: any Error) -> InboundEvent {
                UnreadableItem.event(channel: channel, accountID: accountID, senderID: item["sender"]?["id"]?.idValue,
                                     itemID: item["message"]?["mid"]?.idValue ?? item["mid"]?.idValue, item: item,
                                     timestamp: (item["timestamp"].flatMap(Self.milliseconds) ?? entryTime).map(Self.date), error: error)
            }
            do {
                guard entry.objectValue != nil else { throw malformed(place, "is not an object") }
                guard !accountID.isEmpty else { throw malformed(place + ".id", "is missing") }
                let context = EntryContext(accountID: accountID, entryTime: entryTime)
                for (index, item) in try array(entry, "messaging", place).enumerated() {
                    do { events.append(try event(item, context, "\(place).messaging[\(index)]")) } catch { events.append(unreadable(item, error)) }
                }
                for (index, item) in try array(entry, "standby", place).enumerated() {
                    do {
                        events.append(standby(try event(item, context, "\(place).standby[\(index)]")))
                    } catch {
                        events.append(unreadable(item, error))
                    }
                }
                for (index, change) in try array(entry, "changes", place).enumerated() {
                    do { events.append(try changeEvent(change, context, "\(place).changes[\(index)]")) } catch { events.append(unreadable(change, error)) }
                }
            } catch {
                events.append(unreadable(entry, error))
            }
        }
        return events
    }

    // MARK: Entries

    private struct EntryContext {
        var accountID: String
        var entryTime: Int64?
    }

    /// The array under `key`, empty when absent; anything else there is malformed.
    private func array(_ entry: MetaJSON, _ key: String, _ place: String) throws -> [MetaJSON] {
        guard let value = entry[key], !value.isNull else { return [] }
        guard let elements = value.arrayValue else { throw malformed("\(place).\(key)", "is not an array") }
        return elements
    }

    private func standby(_ event: InboundEvent) -> InboundEvent {
        var result = event
        result.platformMessageID = "standby:" + event.platformMessageID
        result.kind = .ignored(IgnoredEvent(reason: .standby, targetMessageID: Self.targetMessageID(of: event), detail: Self.kindName(event.kind)))
        return result
    }

    private func changeEvent(_ change: MetaJSON, _ context: EntryContext, _ place: String) throws -> InboundEvent {
        guard change.objectValue != nil else { throw malformed(place, "is not an object") }
        let field = change["field"]?.stringValue ?? ""
        guard let value = change["value"], value.objectValue != nil else { throw malformed(place + ".value", "is not an object") }
        if field == "messages" {
            return try event(value, context, place + ".value")
        }
        // Comments, mentions and other fields: recorded, never answered.
        let senderID = value["from"]?["id"]?.idValue ?? value["sender"]?["id"]?.idValue ?? context.accountID
        let millis = value["timestamp"].flatMap(Self.milliseconds) ?? context.entryTime ?? 0
        let itemID = value["id"]?.idValue ?? value["mid"]?.idValue ?? "\(senderID):\(millis)"
        return InboundEvent(channel: channel, accountID: context.accountID, senderID: senderID,
                            platformMessageID: "change:\(field):\(itemID)", timestamp: Self.date(millis),
                            kind: .ignored(IgnoredEvent(reason: .unknown, targetMessageID: nil, detail: "change:\(field.prefix(60))")))
    }

    // MARK: Messaging items

    private static let handoverKeys = ["pass_thread_control", "take_thread_control", "request_thread_control"]
    private static let envelopeKeys: Set<String> = ["sender", "recipient", "timestamp"]

    private func event(_ item: MetaJSON, _ context: EntryContext, _ place: String) throws -> InboundEvent {
        guard let members = item.objectValue else { throw malformed(place, "is not an object") }
        guard let senderID = item["sender"]?["id"]?.idValue, !senderID.isEmpty else {
            throw malformed(place + ".sender.id", "is missing")
        }
        let recipientID = item["recipient"]?["id"]?.idValue
        guard let millis = item["timestamp"].flatMap(Self.milliseconds) ?? context.entryTime else {
            throw malformed(place + ".timestamp", "is missing (and the entry has no time)")
        }

        var eventSender = senderID
        let platformID: String
        let kind: InboundEvent.Kind

        if let message = item["message"], !message.isNull {
            guard message.objectValue != nil else { throw malformed(place + ".message", "is not an object") }
            guard let mid = message["mid"]?.idValue, !mid.isEmpty else { throw malformed(place + ".message.mid", "is missing") }
            if message["is_echo"]?.boolValue == true {
                // The business account sent it: the conversation is the recipient's.
                guard let recipientID, !recipientID.isEmpty else { throw malformed(place + ".recipient.id", "is missing on an echo") }
                eventSender = recipientID
                platformID = mid
                kind = .ignored(IgnoredEvent(reason: .echo, targetMessageID: mid))
            } else if message["is_self"]?.boolValue == true {
                platformID = mid
                kind = .ignored(IgnoredEvent(reason: .ownAccount, targetMessageID: mid))
            } else if message["is_deleted"]?.boolValue == true {
                platformID = "delete:\(mid)"
                kind = .ignored(IgnoredEvent(reason: .delete, targetMessageID: mid))
            } else if message["is_unsupported"]?.boolValue == true {
                // A message Instagram cannot show the API: the person is told what Sandra reads.
                platformID = mid
                kind = .message(InboundMessage(attachments: [Attachment(kind: .unsupported, platformType: "is_unsupported")]))
            } else {
                platformID = mid
                let inbound = try inboundMessage(message, place + ".message")
                kind = storyMention(inbound, mid: mid) ?? .message(inbound)
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
        } else if let edit = item["message_edit"], !edit.isNull {
            let mid = edit["mid"]?.idValue ?? ""
            let count = edit["num_edit"]?.integerValue ?? 0
            platformID = "edit:\(mid):\(count)"
            // The new text is not kept: an edit is recorded, not answered.
            kind = .ignored(IgnoredEvent(reason: .edit, targetMessageID: mid.nonEmpty, detail: "edit \(count)"))
        } else if let postback = item["postback"], !postback.isNull {
            guard postback.objectValue != nil else { throw malformed(place + ".postback", "is not an object") }
            platformID = postback["mid"]?.idValue?.nonEmpty ?? "postback:\(senderID):\(millis)"
            kind = .postback(Postback(title: postback["title"]?.stringValue, payload: postback["payload"]?.stringValue,
                                      referral: Self.referral(postback["referral"])))
        } else if let referral = item["referral"], !referral.isNull {
            platformID = "referral:\(senderID):\(millis)"
            kind = .ignored(IgnoredEvent(reason: .referral, detail: referral["ref"]?.stringValue.map { String($0.prefix(200)) }))
        } else if let key = Self.handoverKeys.first(where: { item[$0] != nil }) {
            platformID = "handover:\(key):\(senderID):\(millis)"
            kind = .ignored(IgnoredEvent(reason: .handover, detail: key))
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

    /// A story mention — a notification that the person mentioned the account in their story,
    /// not a question — recorded and not answered, or answered with the configured thanks.
    /// `nil` when the message is something else (or says something besides the mention).
    private func storyMention(_ message: InboundMessage, mid: String) -> InboundEvent.Kind? {
        guard !message.attachments.isEmpty, message.attachments.allSatisfy({ $0.platformType == "story_mention" }),
              (message.text ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        let reply = storyMentionReply.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reply.isEmpty else {
            return .ignored(IgnoredEvent(reason: .mention, targetMessageID: mid, detail: "story_mention"))
        }
        var answered = message
        answered.automaticReply = reply
        return .message(answered)
    }

    private func inboundMessage(_ message: MetaJSON, _ place: String) throws -> InboundMessage {
        var attachments: [Attachment] = []
        if let value = message["attachments"], !value.isNull {
            guard let items = value.arrayValue else { throw malformed(place + ".attachments", "is not an array") }
            for (index, item) in items.enumerated() {
                guard item.objectValue != nil else { throw malformed("\(place).attachments[\(index)]", "is not an object") }
                attachments.append(Self.attachment(item))
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

    // MARK: Pieces

    /// Instagram's attachment types and their normalized kinds.
    static let attachmentKinds: [String: Attachment.Kind] = [
        "image": .image, "audio": .audio, "video": .video, "file": .file,
        "share": .share, "ig_post": .share,
        "ig_reel": .reel, "reel": .reel,
        "story_mention": .story, "ig_story": .story, "story": .story,
        "sticker": .sticker, "like_heart": .sticker,
        "ephemeral": .unsupported, "unsupported_type": .unsupported,
    ]

    static func attachment(_ item: MetaJSON) -> Attachment {
        let type = item["type"]?.stringValue ?? "unknown"
        let payload = item["payload"]
        return Attachment(
            kind: attachmentKinds[type] ?? .other,
            platformType: type,
            url: payload?["url"]?.stringValue,
            title: payload?["title"]?.stringValue
        )
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
        if case .ignored(let ignored) = kind, ignored.reason == .echo { return true }
        return false
    }

    static func targetMessageID(of event: InboundEvent) -> String? {
        switch event.kind {
        case .ignored(let ignored): ignored.targetMessageID
        case .message, .postback: event.platformMessageID
        }
    }

    static func kindName(_ kind: InboundEvent.Kind) -> String {
        switch kind {
        case .message: "message"
        case .postback: "postback"
        case .ignored(let ignored): ignored.reason.rawValue
        }
    }

    private func malformed(_ place: String, _ problem: String) -> ChannelError {
        .malformedPayload("instagram webhook: \(place) \(problem)")
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
