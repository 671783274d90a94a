import ChannelKit
import Foundation
import MetaPlatform

/// WhatsApp, as the emulator plays it: `object: whatsapp_business_account` webhooks with
/// `entry[].changes[].value`, and the Cloud API at `POST /<phone-number-id>/messages` (texts,
/// reply buttons, read receipts with the typing indicator), counted in code points and in
/// UTF-16 code units, as Graph counts. Media go through Graph's two-step lookup.
///
/// `POST /api/send` takes `{"user","text"}`, `{"user","media_id","media_type","caption"?}` or
/// `{"user","reply_id","reply_title","context_id"?}` → `{"status","id"}`; `POST /api/status`
/// takes `{"user","message_id","status","error_code"?}` → `{"status"}`.
public struct WhatsAppEmulation: GraphEmulation {
    /// `whatsapp`.
    public static let channelType = "whatsapp"
    /// The emulated business phone number id, when none is configured.
    public static let defaultPhoneNumberID = MetaGraphSettings.SandboxCredentials.whatsAppPhoneNumberID
    /// The emulated business phone number, as `metadata.display_phone_number`.
    public static let displayPhoneNumber = "15550100001"
    /// The emulated WhatsApp Business Account id (`entry[].id`).
    public static let businessAccountID = "200000000000002"

    /// The access token and app secret the channel uses.
    public let credentials: SandboxCredentials
    /// The business number's id (`phone_number_id`).
    public let phoneNumberID: String
    /// The longest text, in code points and UTF-16 units (`max_message_characters`, 4096 by default).
    public let maxMessageCharacters: Int

    /// Reads `access_token`, `app_secret`, `phone_number_id` and `max_message_characters`,
    /// with the development values the channel uses in sandbox mode when none are set.
    public init(settings: ChannelSettings) {
        credentials = SandboxCredentials(settings: settings)
        phoneNumberID = settings.sandboxValue("phone_number_id", default: Self.defaultPhoneNumberID)
        maxMessageCharacters = settings.integer("max_message_characters", default: 4096)
    }

    /// The prefix of the message ids the emulated Send API hands out.
    public var sentMessageIDPrefix: String { "wamid.sandbox.out." }
    /// `whatsapp`, as Graph names the product in media lookups.
    public var messagingProduct: String? { "whatsapp" }
    /// 20 files of up to 16 MiB; download URLs live 5 minutes and need the token.
    public var media: EmulatedMediaPolicy { EmulatedMediaPolicy(uploadLimit: 16 << 20, memoryLimit: 20 * (16 << 20), countLimit: 20, access: .graphLookup(lifetime: 300)) }

    /// The page's wording and look.
    public var page: SandboxPageStyle {
        var style = SandboxPageStyle(
            platform: "WhatsApp", subtitle: "WhatsApp · local sandbox", userLabel: "your number", userIDPrefix: "1555", userIDDigits: 7,
            banner: "Local emulator: nothing here reaches WhatsApp. Each message is posted to this host's real webhook route as a genuine WhatsApp Cloud API payload, signed (X-Hub-Signature-256) with the sandbox app secret; replies are caught by the emulated Cloud API.",
            css: """
              :root { --green: #008069; --muted: #667781; }
              body { background: #d1d7db; color: #111b21; } .app { background: #efeae2; }
              header { background: var(--green); color: #fff; } .avatar { background: #25d366; }
              .user input { border: 0; } .user button { color: #fff; text-decoration: underline; }
              .banner { color: #54656f; background: #fff8c4; }
              .bubble { border-radius: 8px; box-shadow: 0 1px .5px rgba(11,20,26,.13); }
              .me.bubble { background: #d9fdd3; } .them.bubble { background: #fff; }
              .choices { flex-direction: column; min-width: 200px; }
              .choices button { border: 0; color: #027eb5; border-radius: 8px; padding: 8px 12px; box-shadow: 0 1px .5px rgba(11,20,26,.13); }
              form { background: #f0f2f5; } #text { border: 0; border-radius: 8px; }
              #send { border-radius: 50%; width: 42px; background: var(--green); color: #fff; }
            """)
        style.sendLabel = "➤"
        style.choice = .button
        style.upload = .mediaID
        style.whatsAppFormatting = true
        style.readTicks = true
        style.typingSeconds = 25
        return style
    }

    /// The webhook delivery of what a person sent with `POST /api/send`.
    public func personSends(_ body: MetaJSON, user: String, context: PersonContext) throws(SandboxRefusal) -> EmulatedDelivery {
        guard user != Self.displayPhoneNumber else { throw .person("user must not be the business number") }
        let id = context.newMessageID("wamid.sandbox.")
        var message: [MetaJSON.Member] = [.init("from", .string(user)), .init("id", .string(id)), .init("timestamp", .string(String(context.seconds)))]
        let entry: SandboxEntry
        if let text = body["text"]?.stringValue {
            guard !text.isEmpty else { throw .person("text must be non-empty") }
            message += [.init("type", "text"), .init("text", ["body": .string(text)])]
            entry = SandboxEntry(.inbound, kind: "text", text: text, messageID: id)
        } else if let replyID = body["reply_id"]?.stringValue, let title = body["reply_title"]?.stringValue {
            if let replied = body["context_id"]?.stringValue {
                message.append(.init("context", ["from": .string(Self.displayPhoneNumber), "id": .string(replied)]))
            }
            message += [.init("type", "interactive"), .init("interactive", ["type": "button_reply", "button_reply": ["id": .string(replyID), "title": .string(title)]])]
            entry = SandboxEntry(.inbound, kind: "text", text: title, messageID: id)
        } else if let mediaID = body["media_id"]?.stringValue, let item = context.media[mediaID] {
            let type = body["media_type"]?.stringValue ?? "image"
            guard ["image", "audio", "voice", "video", "document", "sticker"].contains(type) else {
                throw .person("media_type must be image, audio, voice, video, document or sticker")
            }
            let wireType = type == "voice" ? "audio" : type
            var object: [MetaJSON.Member] = [.init("mime_type", .string(item.contentType)),
                                             .init("sha256", .string(Data(item.sha256).base64EncodedString())), .init("id", .string(mediaID))]
            if type == "voice" { object.append(.init("voice", true)) }
            let caption = ["image", "video", "document"].contains(type) ? body["caption"]?.stringValue : nil
            if let caption { object.append(.init("caption", .string(caption))) }
            message += [.init("type", .string(wireType)), .init(wireType, .object(object))]
            entry = SandboxEntry(.inbound, kind: "media", text: "[\(type)]" + (caption.map { " " + $0 } ?? ""), attachments: ["\(type): \(item.label)"], messageID: id)
        } else {
            throw .person("send text, a media_id from api/media, or reply_id and reply_title")
        }
        let contacts: MetaJSON = [["profile": ["name": .string(body["name"]?.stringValue ?? "Sandbox user")], "wa_id": .string(user)]]
        return EmulatedDelivery(payload: envelope([.init("contacts", contacts), .init("messages", [.object(message)])]),
                                user: user, entry: entry, answer: [.init("id", .string(id))])
    }

    /// The webhook delivery of a status (`POST /api/status`).
    public func statusDelivery(_ body: MetaJSON, context: PersonContext) throws(SandboxRefusal) -> EmulatedDelivery {
        guard let user = body["user"]?.stringValue, !user.isEmpty, let messageID = body["message_id"]?.stringValue, !messageID.isEmpty,
              let status = body["status"]?.stringValue, ["sent", "delivered", "read", "failed", "played"].contains(status)
        else { throw .person("body must be {\"user\",\"message_id\",\"status\": sent|delivered|read|failed|played}") }
        var item: [MetaJSON.Member] = [.init("id", .string(messageID)), .init("status", .string(status)),
                                       .init("timestamp", .string(String(context.seconds))), .init("recipient_id", .string(user))]
        if status == "failed" {
            item.append(.init("errors", [["code": .integer(body["error_code"]?.integerValue ?? 131047), "title": "Re-engagement message",
                                          "message": "Re-engagement message",
                                          "error_data": ["details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number."]]]))
        }
        return EmulatedDelivery(payload: envelope([.init("statuses", [.object(item)])]), user: user,
                                entry: SandboxEntry(.outbound, kind: "status", text: status, messageID: messageID), answer: [])
    }

    /// A `whatsapp_business_account` delivery of one `messages` change.
    func envelope(_ members: [MetaJSON.Member]) -> MetaJSON {
        let value: [MetaJSON.Member] = [.init("messaging_product", "whatsapp"),
                                        .init("metadata", ["display_phone_number": .string(Self.displayPhoneNumber), "phone_number_id": .string(phoneNumberID)])]
        return ["object": "whatsapp_business_account",
                "entry": [["id": .string(Self.businessAccountID), "changes": [["value": .object(value + members), "field": "messages"]]]]]
    }

    /// Whether a Graph id is an account the emulator answers for.
    public func isAccount(_ id: String) -> Bool { id == phoneNumberID || id == "me" }

    /// Graph's answer for an account id.
    public func account(_ id: String) -> MetaJSON {
        id == "me" ? ["id": "sandbox-system-user", "name": "Sandra Sandbox"]
            : ["verified_name": "Sandra Sandbox", "display_phone_number": .string(Self.displayPhoneNumber), "quality_rating": "GREEN", "id": .string(id)]
    }

    /// One Send API call, checked as Graph checks it.
    public func send(_ call: GraphSendCall) throws(SandboxRefusal) -> GraphSendRecord {
        let body = call.body
        guard call.target == phoneNumberID else {
            throw .graph("Unsupported post request. Object with ID '\(call.target.prefix(40))' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", subcode: 33)
        }
        guard body["messaging_product"]?.stringValue == "whatsapp" else { throw Self.invalid("The parameter messaging_product is required and must be whatsapp") }
        if let status = body["status"] {
            guard status.stringValue == "read", let read = body["message_id"]?.stringValue, !read.isEmpty else {
                throw Self.invalid("A status update needs status read and a message_id")
            }
            let indicator = body["typing_indicator"].flatMap { $0.isNull ? nil : $0 }
            guard indicator == nil || indicator?["type"]?.stringValue == "text" else { throw Self.invalid("typing_indicator.type must be text") }
            let user = call.senders[read] ?? ""
            return GraphSendRecord(recipient: user, outbox: outbox(user, type: "read", status: "read", read: read, typing: indicator != nil),
                                   entries: [SandboxEntry(.outbound, kind: "read", messageID: read)] + (indicator == nil ? [] : [SandboxEntry(.outbound, kind: "typing")]),
                                   answer: ["success": true], isMessage: false)
        }
        // A phone number in `to`, or a business-scoped user id in `recipient`; `to` wins when both are set.
        let phone = body["to"]?.idValue.flatMap { $0.isEmpty ? nil : $0 }
        guard let to = phone ?? body["recipient"]?.idValue.flatMap({ $0.isEmpty ? nil : $0 }) else { throw Self.invalid("The parameter to (or recipient) is required") }
        if let kind = body["recipient_type"]?.stringValue, kind != "individual" { throw Self.invalid("recipient_type must be individual") }
        let type = body["type"]?.stringValue ?? "text"
        var text: String
        var buttons: [QuickReply] = []
        var template: MetaJSON = .null
        switch type {
        case "interactive":
            (text, buttons) = try Self.buttons(body["interactive"])
        case "template":
            text = try Self.template(body["template"])
            template = body["template"] ?? .null
        default:
            text = try textBody(body, type: type, call: call)
        }
        var record = outbox(to, type: type, text: text, buttons: buttons, id: call.messageID, field: phone == nil ? "recipient" : "to")
        record.append(.init("template", template))
        return GraphSendRecord(recipient: to, outbox: record,
                               entries: [SandboxEntry(.outbound, kind: "text", text: text, choices: buttons, messageID: call.messageID)],
                               answer: ["messaging_product": "whatsapp", "contacts": [["input": .string(to), (phone == nil ? "user_id" : "wa_id"): .string(to)]],
                                        "messages": [["id": .string(call.messageID)]]], isMessage: true)
    }

    /// A text's body, refused over the limit in code points or UTF-16 units, as Graph counts.
    private func textBody(_ body: MetaJSON, type: String, call: GraphSendCall) throws(SandboxRefusal) -> String {
        guard type == "text" else { throw Self.invalid("The sandbox accepts text, interactive and template messages only (got type \(type.prefix(20)))") }
        guard let text = body["text"]?["body"]?.stringValue, !text.isEmpty else { throw Self.invalid("The parameter text['body'] is required") }
        let length = max(text.unicodeScalars.count, text.utf16.count)
        guard length <= maxMessageCharacters else { throw Self.invalid("Param text['body'] must be at most \(maxMessageCharacters) characters long (got \(length))") }
        if call.injectedLimitRefuses(text) { throw Self.invalid("Param text['body'] must be at most \(call.injectedTextLimit ?? 0) characters long (an injected fault)") }
        return text
    }

    /// What the person sees of a template message: its name, language and body parameters
    /// (the sandbox has no approved templates to fill in). Graph needs a name and a language code.
    private static func template(_ template: MetaJSON?) throws(SandboxRefusal) -> String {
        guard let name = template?["name"]?.stringValue, !name.isEmpty, let language = template?["language"]?["code"]?.stringValue, !language.isEmpty else {
            throw invalid("Param template['name'] and template['language']['code'] are required")
        }
        let parameters = (template?["components"]?.arrayValue ?? []).flatMap { $0["parameters"]?.arrayValue ?? [] }.compactMap { $0["text"]?.stringValue }
        return "[template \(name) (\(language))]" + (parameters.isEmpty ? "" : " " + parameters.joined(separator: " · "))
    }

    /// An `interactive` reply-button message's body text and buttons.
    private static func buttons(_ interactive: MetaJSON?) throws(SandboxRefusal) -> (String, [QuickReply]) {
        guard interactive?["type"]?.stringValue == "button" else { throw invalid("The sandbox accepts interactive messages of type button only") }
        guard let text = interactive?["body"]?["text"]?.stringValue, !text.isEmpty, text.utf16.count <= 1024 else {
            throw invalid("Param interactive['body']['text'] is required and must be at most 1024 characters long")
        }
        guard let list = interactive?["action"]?["buttons"]?.arrayValue, (1...3).contains(list.count) else { throw invalid("Param interactive['action']['buttons'] must hold 1 to 3 buttons") }
        var buttons: [QuickReply] = []
        for button in list {
            guard button["type"]?.stringValue == "reply", let title = button["reply"]?["title"]?.stringValue, !title.isEmpty, title.count <= 20,
                  let id = button["reply"]?["id"]?.stringValue, !id.isEmpty, id.count <= 256
            else { throw invalid("Each button needs type reply, a title of 1-20 characters and an id of 1-256 characters") }
            buttons.append(QuickReply(title: title, payload: id))
        }
        return (text, buttons)
    }

    /// An outbox item, as `GET /api/outbox` lists it.
    private func outbox(_ recipient: String, type: String, text: String? = nil, buttons: [QuickReply] = [], status: String? = nil,
                        read: String? = nil, typing: Bool = false, id: String? = nil, field: String = "to") -> [MetaJSON.Member] {
        [.init("phone_number_id", .string(phoneNumberID)), .init("recipient", .string(recipient)), .init("type", .string(type)),
         .init("text", .optional(text)), .init("buttons", .array(buttons.map { ["title": .string($0.title), "id": .string($0.payload)] })),
         .init("status", .optional(status)), .init("read_message_id", .optional(read)), .init("typing_indicator", .bool(typing)),
         .init("message_id", .optional(id)), .init("address_field", .string(field))]
    }

    private static func invalid(_ message: String) -> SandboxRefusal {
        .graph("(#100) Invalid parameter", details: message)
    }
}
