import ChannelKit
import Crypto
import Foundation
import MetaPlatform

/// Turns a verified WhatsApp Cloud API webhook body (`object: whatsapp_business_account`)
/// into normalized events.
///
/// Walks every `entry[].changes[]`. A `messages` change holds `messages[]` (answered, or
/// recorded when they cannot be), `statuses[]` (recorded, never answered) and `errors[]`
/// (recorded, never answered), all routed by `value.metadata.phone_number_id`; an
/// `smb_message_echoes` change holds the business's own messages (echoes); any other field is
/// recorded as unknown. Timestamps are epoch seconds, as strings. An item that cannot be read
/// (a message with no sender, a change without its phone number id, a shape this parser does
/// not know) is recorded as ignored with the reason — the place in the payload that is wrong,
/// never message text — and the rest of the delivery is accepted: Meta would otherwise retry
/// the whole delivery, good items included. Only a body that is not a WhatsApp webhook at all
/// is refused.
struct WhatsAppWebhookParser: Sendable {
    /// The configured channel name put on every event.
    let channel: String
    /// `object: whatsapp_business_account`, and what errors call the body.
    let envelope = MetaWebhookEnvelope(object: "whatsapp_business_account", label: "whatsapp webhook")
    /// The phone number answered for; messages to another number are recorded, not answered.
    /// `nil` answers every number.
    let phoneNumberID: String?

    /// What one delivery held.
    struct Delivery: Sendable {
        /// The events, in payload order.
        var events: [InboundEvent] = []
        /// The error codes of `failed` statuses (replies the platform could not deliver).
        var failedStatusCodes: [Int?] = []
        /// The codes of `errors[]` Meta reported outside any message.
        var errorCodes: [Int?] = []
    }

    /// Parses a body.
    /// - Throws: ``ChannelError`` `.malformedPayload` when the body is not JSON, not an object,
    ///   not of `object: whatsapp_business_account`, or has no `entry` array.
    func parse(_ body: [UInt8]) throws -> Delivery {
        var delivery = Delivery()
        for (entryIndex, entry) in try envelope.entries(of: body).enumerated() {
            let place = "entry[\(entryIndex)]"
            let businessAccountID = entry["id"]?.idValue ?? ""
            do {
                guard entry.objectValue != nil else { throw malformed(place, "is not an object") }
                for (index, change) in try envelope.array(entry, "changes", place).enumerated() {
                    do {
                        try parseChange(change, businessAccountID: businessAccountID, place: "\(place).changes[\(index)]", into: &delivery)
                    } catch {
                        delivery.events.append(unreadable(change, accountID: change["value"]?["metadata"]?["phone_number_id"]?.idValue ?? businessAccountID,
                                                          hasOwnID: false, error: error))
                    }
                }
            } catch {
                delivery.events.append(unreadable(entry, accountID: businessAccountID, hasOwnID: false, error: error))
            }
        }
        return delivery
    }

    /// An item that could not be read, recorded as ignored with the reason; the rest of the
    /// delivery is accepted. An entry's or a change's `id` is the business account's, shared by
    /// every entry: those are keyed by their content instead (`hasOwnID: false`), so that two
    /// different unreadable entries are not taken for one delivered twice.
    private func unreadable(_ item: MetaJSON, accountID: String, hasOwnID: Bool = true, error: any Error) -> InboundEvent {
        let sender = item["from_user_id"]?.idValue ?? item["from"]?.idValue ?? item["recipient_user_id"]?.idValue ?? item["recipient_id"]?.idValue
        return UnreadableItem.event(channel: channel, accountID: accountID, senderID: sender, itemID: hasOwnID ? item["id"]?.idValue : nil,
                                    item: item, timestamp: item["timestamp"].flatMap(Self.date), error: error)
    }

    // MARK: Changes

    private func parseChange(_ change: MetaJSON, businessAccountID: String, place: String, into delivery: inout Delivery) throws {
        guard change.objectValue != nil else { throw malformed(place, "is not an object") }
        let field = change["field"]?.stringValue ?? ""
        guard let value = change["value"], value.objectValue != nil else { throw malformed(place + ".value", "is not an object") }

        switch field {
        case "messages", "smb_message_echoes":
            guard let phoneNumberID = value["metadata"]?["phone_number_id"]?.idValue, !phoneNumberID.isEmpty else {
                throw malformed(place + ".value.metadata.phone_number_id", "is missing")
            }
            let foreign = self.phoneNumberID.map { $0 != phoneNumberID } ?? false
            for (index, item) in try envelope.array(value, "messages", place + ".value").enumerated() {
                do {
                    var event = try message(item, contacts: value["contacts"], phoneNumberID: phoneNumberID,
                                            place: "\(place).value.messages[\(index)]")
                    if foreign, event.takesTurn {
                        event.kind = .ignored(IgnoredEvent(reason: .unknown, targetMessageID: event.platformMessageID,
                                                           detail: "for another phone number"))
                    }
                    delivery.events.append(event)
                } catch {
                    delivery.events.append(unreadable(item, accountID: phoneNumberID, error: error))
                }
            }
            for (index, item) in try envelope.array(value, "message_echoes", place + ".value").enumerated() {
                do {
                    delivery.events.append(try echo(item, phoneNumberID: phoneNumberID, place: "\(place).value.message_echoes[\(index)]"))
                } catch {
                    delivery.events.append(unreadable(item, accountID: phoneNumberID, error: error))
                }
            }
            for (index, item) in try envelope.array(value, "statuses", place + ".value").enumerated() {
                do {
                    let parsed = try status(item, phoneNumberID: phoneNumberID, place: "\(place).value.statuses[\(index)]")
                    delivery.events.append(parsed.event)
                    if parsed.failed { delivery.failedStatusCodes.append(parsed.code) }
                } catch {
                    delivery.events.append(unreadable(item, accountID: phoneNumberID, error: error))
                }
            }
            for (index, item) in try envelope.array(value, "errors", place + ".value").enumerated() {
                do {
                    let (event, code) = try error(item, phoneNumberID: phoneNumberID, place: "\(place).value.errors[\(index)]")
                    delivery.events.append(event)
                    delivery.errorCodes.append(code)
                } catch {
                    delivery.events.append(unreadable(item, accountID: phoneNumberID, error: error))
                }
            }
        default:
            // Account, template and quality updates: recorded, never answered. Under Conversation
            // Routing, `standby` copies (another responder owns the thread: Meta delivers this
            // app no messages there) and `messaging_handovers` notices are recorded as such.
            let reason: IgnoredEvent.Reason = switch field {
            case "standby": .standby
            case "messaging_handovers": .handover
            default: .unknown
            }
            let digest = UnreadableItem.digest(value)
            let account = value["metadata"]?["phone_number_id"]?.idValue ?? businessAccountID
            let id = account.isEmpty ? "waba" : account
            delivery.events.append(InboundEvent(
                channel: channel, accountID: id, senderID: id,
                platformMessageID: "change:\(field.prefix(60)):\(digest)",
                timestamp: value["timestamp"].flatMap(Self.date) ?? Date(timeIntervalSince1970: 0),
                kind: .ignored(IgnoredEvent(reason: reason, detail: "change:\(field.prefix(60))"))))
        }
    }


    // MARK: Messages

    /// Media message types and their normalized kinds.
    static let mediaKinds: [String: Attachment.Kind] = [
        "image": .image, "audio": .audio, "video": .video, "document": .file, "sticker": .sticker,
    ]

    private func message(_ item: MetaJSON, contacts: MetaJSON?, phoneNumberID: String, place: String) throws -> InboundEvent {
        guard item.objectValue != nil else { throw malformed(place, "is not an object") }
        guard let id = item["id"]?.idValue, !id.isEmpty else { throw malformed(place + ".id", "is missing") }
        guard let timestamp = item["timestamp"].flatMap(Self.date) else { throw malformed(place + ".timestamp", "is missing") }
        let type = item["type"]?.stringValue ?? "unknown"
        if type == "system" {
            return systemEvent(item, id: id, phoneNumberID: phoneNumberID, timestamp: timestamp)
        }
        // Since 2026 a person has a business-scoped user id (BSUID) beside — or, with a
        // username, instead of — their phone number.
        let sender = Self.sender(of: item, contacts: contacts)
        guard let senderID = sender.userID ?? sender.phone else { throw malformed(place + ".from", "is missing (and so is from_user_id)") }
        let replyTo = item["context"]?["id"]?.idValue.map { ReplyReference.message(id: $0) }
        let referral = Self.referral(item["referral"])

        let kind: InboundEvent.Kind
        switch type {
        case "text":
            guard let body = item["text"]?["body"]?.stringValue else { throw malformed(place + ".text.body", "is missing") }
            kind = .message(InboundMessage(text: body, replyTo: replyTo, referral: referral))
        case _ where Self.mediaKinds[type] != nil:
            guard let media = item[type], media.objectValue != nil else { throw malformed("\(place).\(type)", "is not an object") }
            let isVoice = type == "audio" && media["voice"]?.boolValue == true
            let attachment = Attachment(
                kind: Self.mediaKinds[type] ?? .other,
                platformType: isVoice ? "voice" : type,
                url: media["url"]?.stringValue,
                mediaID: media["id"]?.idValue,
                mimeType: media["mime_type"]?.stringValue,
                title: media["filename"]?.stringValue)
            kind = .message(InboundMessage(text: media["caption"]?.stringValue, attachments: [attachment],
                                           replyTo: replyTo, referral: referral))
        case "interactive":
            let interactive = item["interactive"]
            let replyType = interactive?["type"]?.stringValue ?? ""
            if let reply = interactive?[replyType], replyType == "button_reply" || replyType == "list_reply" {
                // A tap on one of our reply buttons or list rows: like a quick reply, its id the payload.
                kind = .message(InboundMessage(text: reply["title"]?.stringValue ?? "", quickReplyPayload: reply["id"]?.idValue,
                                               replyTo: replyTo))
            } else {
                // Flow answers (`nfm_reply`) and newer kinds: the person is told what Sandra reads.
                kind = .message(Self.unsupported("interactive:\(replyType.prefix(40))", replyTo: replyTo))
            }
        case "button":
            // A template's quick-reply button.
            let button = item["button"]
            kind = .postback(Postback(title: button?["text"]?.stringValue, payload: button?["payload"]?.stringValue, referral: referral))
        case "reaction":
            let reaction = item["reaction"]
            let emoji = reaction?["emoji"]?.stringValue?.nonEmpty
            kind = .ignored(IgnoredEvent(reason: .reaction, targetMessageID: reaction?["message_id"]?.idValue,
                                         detail: emoji.map { "react \($0)" } ?? "unreact"))
        case "location":
            kind = .message(InboundMessage(text: Self.describeLocation(item["location"]), replyTo: replyTo, referral: referral))
        case "contacts":
            kind = .message(InboundMessage(text: Self.describeContacts(item["contacts"]), replyTo: replyTo))
        case "request_welcome":
            // The person opened the chat for the first time; they have written nothing yet.
            kind = .ignored(IgnoredEvent(reason: .unknown, targetMessageID: id, detail: "request_welcome"))
        default:
            // `unsupported` (a message WhatsApp cannot show the API), `unknown`, `order` and
            // types this channel does not know yet: answered with what Sandra can read.
            let code = item["errors"]?.arrayValue?.first?["code"]?.integerValue
            kind = .message(Self.unsupported("\(type.prefix(40))" + (code.map { " \($0)" } ?? ""), replyTo: replyTo))
        }
        return InboundEvent(channel: channel, accountID: phoneNumberID, senderID: senderID, platformMessageID: id,
                            timestamp: timestamp, kind: kind, alternativeSenderIDs: sender.alternatives,
                            replyAddress: sender.userID == nil ? nil : sender.phone)
    }

    /// A message the business sent from the WhatsApp Business app (coexistence): the
    /// conversation is the person's it was sent to.
    private func echo(_ item: MetaJSON, phoneNumberID: String, place: String) throws -> InboundEvent {
        guard item.objectValue != nil else { throw malformed(place, "is not an object") }
        guard let id = item["id"]?.idValue, !id.isEmpty else { throw malformed(place + ".id", "is missing") }
        guard let to = item["to_user_id"]?.idValue?.nonEmpty ?? item["to"]?.idValue?.nonEmpty else { throw malformed(place + ".to", "is missing") }
        let timestamp = item["timestamp"].flatMap(Self.date) ?? Date(timeIntervalSince1970: 0)
        // The WhatsApp Business app's messages (coexistence): the pipeline tells them from this
        // host's own sends by the message id.
        let echo = Echo(text: item["text"]?["body"]?.stringValue, attachments: Self.echoAttachments(item))
        return InboundEvent(channel: channel, accountID: phoneNumberID, senderID: to, platformMessageID: id, timestamp: timestamp,
                            kind: .echo(echo))
    }

    /// What a WhatsApp Business app echo carried besides text: its media kind, for the history.
    private static func echoAttachments(_ item: MetaJSON) -> [Attachment] {
        guard let type = item["type"]?.stringValue, type != "text" else { return [] }
        let kind: Attachment.Kind = switch type {
        case "image": .image
        case "audio": .audio
        case "video": .video
        case "document": .file
        case "sticker": .sticker
        case "location": .location
        case "contacts": .contact
        default: .other
        }
        return [Attachment(kind: kind, platformType: String(type.prefix(40)), title: item[type]?["caption"]?.stringValue)]
    }

    // MARK: Statuses and errors

    private func status(_ item: MetaJSON, phoneNumberID: String, place: String) throws -> (event: InboundEvent, failed: Bool, code: Int?) {
        guard item.objectValue != nil else { throw malformed(place, "is not an object") }
        guard let id = item["id"]?.idValue, !id.isEmpty else { throw malformed(place + ".id", "is missing") }
        let status = item["status"]?.stringValue ?? "unknown"
        let phone = item["recipient_id"]?.idValue?.nonEmpty
        let userID = item["recipient_user_id"]?.idValue?.nonEmpty
        let recipient = userID ?? phone ?? phoneNumberID
        let timestamp = item["timestamp"].flatMap(Self.date) ?? Date(timeIntervalSince1970: 0)
        let code = item["errors"]?.arrayValue?.first?["code"]?.integerValue.flatMap { Int(exactly: $0) }
        let detail = Self.statusDetail(status: status, code: code)
        let event = InboundEvent(channel: channel, accountID: phoneNumberID, senderID: recipient,
                                 platformMessageID: "status:\(id):\(status.prefix(20))", timestamp: timestamp,
                                 kind: .ignored(IgnoredEvent(reason: .status, targetMessageID: id, detail: detail)),
                                 alternativeSenderIDs: userID != nil ? (phone.map { [$0] } ?? []) : [])
        return (event, status == "failed", code)
    }

    /// What a status event keeps as its detail: the status, and the error code of a failed one.
    static func statusDetail(status: String, code: Int?) -> String {
        "\(status.prefix(20))" + (code.map { " \($0)" } ?? "")
    }

    private func error(_ item: MetaJSON, phoneNumberID: String, place: String) throws -> (InboundEvent, Int?) {
        guard item.objectValue != nil else { throw malformed(place, "is not an object") }
        let code = item["code"]?.integerValue.flatMap { Int(exactly: $0) }
        let event = InboundEvent(channel: channel, accountID: phoneNumberID, senderID: phoneNumberID,
                                 platformMessageID: "error:\(phoneNumberID):\(code.map(String.init) ?? "none"):\(UnreadableItem.digest(item))",
                                 timestamp: Date(timeIntervalSince1970: 0),
                                 kind: .ignored(IgnoredEvent(reason: .unknown, detail: "error" + (code.map { " \($0)" } ?? ""))))
        return (event, code)
    }

    // MARK: Pieces

    /// Epoch seconds from a string (`"1749416383"`) or a number.
    static func date(_ value: MetaJSON) -> Date? {
        guard let seconds = value.integerValue, seconds >= 0 else { return nil }
        return Date(timeIntervalSince1970: Double(seconds))
    }

    static func referral(_ value: MetaJSON?) -> Referral? {
        guard let value, value.objectValue != nil else { return nil }
        return Referral(ref: value["source_id"]?.idValue ?? value["ctwa_clid"]?.stringValue,
                        source: value["source_type"]?.stringValue, type: value["media_type"]?.stringValue)
    }

    /// `[Location] Name, Address (52.52, 13.405)` — what the person shared, as words.
    static func describeLocation(_ value: MetaJSON?) -> String {
        var parts: [String] = []
        if let name = value?["name"]?.stringValue?.nonEmpty { parts.append(name) }
        if let address = value?["address"]?.stringValue?.nonEmpty { parts.append(address) }
        var text = "[Location]"
        if !parts.isEmpty { text += " " + parts.joined(separator: ", ") }
        if let latitude = value?["latitude"]?.numberValue, let longitude = value?["longitude"]?.numberValue {
            text += " (\(latitude), \(longitude))"
        }
        if let url = value?["url"]?.stringValue?.nonEmpty { text += " " + url }
        return text
    }

    /// `[Contact] Jane Doe, phone +1 555 0100, email jane@example.com` per shared card.
    static func describeContacts(_ value: MetaJSON?) -> String {
        let cards = value?.arrayValue ?? []
        guard !cards.isEmpty else { return "[Contact]" }
        return cards.map { card in
            var parts: [String] = []
            if let name = card["name"]?["formatted_name"]?.stringValue?.nonEmpty ?? card["name"]?["first_name"]?.stringValue?.nonEmpty {
                parts.append(name)
            }
            if let company = card["org"]?["company"]?.stringValue?.nonEmpty { parts.append(company) }
            for phone in card["phones"]?.arrayValue ?? [] {
                if let number = phone["phone"]?.stringValue?.nonEmpty { parts.append("phone \(number)") }
            }
            for email in card["emails"]?.arrayValue ?? [] {
                if let address = email["email"]?.stringValue?.nonEmpty { parts.append("email \(address)") }
            }
            return "[Contact] " + (parts.isEmpty ? "(no details)" : parts.joined(separator: ", "))
        }.joined(separator: "\n")
    }

    private func malformed(_ place: String, _ problem: String) -> ChannelError {
        envelope.malformed(place, problem)
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
