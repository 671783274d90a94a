import ChannelKit
import MetaPlatform

/// What the Messenger Platform's channels share on the wire — Instagram Direct and Facebook
/// Messenger: webhooks of `object: <object>` with `entry[].messaging[]` (page-scoped ids,
/// `mid`, millisecond timestamps, quick-reply payloads, attachments by URL), and the Send API
/// at `POST /<id|me>/messages` (`recipient.id`, `message.text` with `quick_replies`, or a
/// `sender_action`). A description of such a platform names its object, account and text
/// limit and hands these two calls to the engine:
///
/// ```swift
/// let shape = MessengerPlatformShape(object: "page", accountID: pageID, textLimit: TextLimit(maximum: 2000, unit: .utf16CodeUnits))
/// func personSends(…) throws(SandboxRefusal) -> EmulatedDelivery { try shape.personSends(body, user: user, context: context) }
/// func send(_ call: GraphSendCall) throws(SandboxRefusal) -> GraphSendRecord { try shape.send(call) }
/// ```
public struct MessengerPlatformShape: Sendable {
    /// The webhook's `object` (`instagram`, `page`).
    public var object: String
    /// The business account: `entry[].id` and the `recipient` of a person's message.
    public var accountID: String
    /// The longest text the Send API takes, and what it counts.
    public var textLimit: TextLimit

    /// Attachments in one message.
    static let attachmentLimit = 10
    /// What the Send API accepts as `sender_action`.
    static let senderActions: Set<String> = ["typing_on", "typing_off", "mark_seen", "react", "unreact"]

    /// Creates a shape.
    public init(object: String, accountID: String, textLimit: TextLimit) {
        self.object = object
        self.accountID = accountID
        self.textLimit = textLimit
    }

    /// `POST /api/send` `{"user","text"?,"quick_reply_payload"?,"attachments"?:[{"type":"image"|"audio","media_id"}]}`
    /// → a `messaging[].message` webhook, or `{"user","postback_payload","postback_title"?}` → a
    /// `messaging[].postback` (a tapped button); answered with `{"mid"}`. A message needs a text
    /// or an attachment.
    public func personSends(_ body: MetaJSON, user: String, context: PersonContext) throws(SandboxRefusal) -> EmulatedDelivery {
        guard user != accountID else { throw .person("user must not be the business account") }
        let mid = context.newMessageID("sandbox.")
        if let payload = body["postback_payload"]?.stringValue, !payload.isEmpty {
            let title = body["postback_title"]?.stringValue ?? payload
            return delivery(user, ["postback": ["mid": .string(mid), "title": .string(title), "payload": .string(payload)]],
                            entry: SandboxEntry(.inbound, kind: "text", text: title, messageID: mid), context: context)
        }
        let text = body["text"]?.stringValue ?? ""
        var attachments: [MetaJSON] = []
        var labels: [String] = []
        if let list = body["attachments"], !list.isNull {
            guard let items = list.arrayValue, items.count <= Self.attachmentLimit else {
                throw .person("attachments must be an array of at most \(Self.attachmentLimit) items")
            }
            for item in items {
                guard let type = item["type"]?.stringValue, type == "image" || type == "audio",
                      let id = item["media_id"]?.stringValue, let stored = context.media[id]
                else { throw .person("each attachment needs type image or audio and the media_id of an uploaded file") }
                attachments.append(["type": .string(type), "payload": ["url": .string(context.mediaURL(id))]])
                labels.append("\(type): \(stored.label)")
            }
        }
        guard !text.isEmpty || !attachments.isEmpty else { throw .person("send a non-empty text, an attachment, or both") }
        var message: [MetaJSON.Member] = [.init("mid", .string(mid))]
        if !text.isEmpty { message.append(.init("text", .string(text))) }
        if !attachments.isEmpty { message.append(.init("attachments", .array(attachments))) }
        if let payload = body["quick_reply_payload"]?.stringValue { message.append(.init("quick_reply", ["payload": .string(payload)])) }
        return delivery(user, ["message": .object(message)],
                        entry: SandboxEntry(.inbound, kind: "text", text: text.isEmpty ? nil : text, attachments: labels, messageID: mid), context: context)
    }

    /// One `messaging[]` item from `user` to the account, carrying `event` (`message` or `postback`).
    private func delivery(_ user: String, _ event: [String: MetaJSON], entry: SandboxEntry, context: PersonContext) -> EmulatedDelivery {
        let now = context.milliseconds
        var item: [MetaJSON.Member] = [.init("sender", ["id": .string(user)]), .init("recipient", ["id": .string(accountID)]),
                                       .init("timestamp", .integer(now))]
        item += event.map { MetaJSON.Member($0.key, $0.value) }
        let payload: MetaJSON = ["object": .string(object), "entry": [["time": .integer(now), "id": .string(accountID), "messaging": [.object(item)]]]]
        return EmulatedDelivery(payload: payload, user: user, entry: entry, answer: [.init("mid", .string(entry.messageID ?? ""))])
    }

    /// `POST /<id|me>/messages`: a text (with quick replies) or a sender action, checked as Graph
    /// checks it; answers `{"recipient_id","message_id"?}`.
    public func send(_ call: GraphSendCall) throws(SandboxRefusal) -> GraphSendRecord {
        let body = call.body
        guard let recipient = body["recipient"]?["id"]?.idValue, !recipient.isEmpty else { throw .graph("(#100) The parameter recipient is required") }
        let message = body["message"]
        if let action = body["sender_action"] {
            guard message == nil else { throw .graph("(#100) sender_action must be sent without a message") }
            guard let name = action.stringValue, Self.senderActions.contains(name) else {
                throw .graph("(#100) Param sender_action must be one of {TYPING_ON, TYPING_OFF, MARK_SEEN, REACT, UNREACT}")
            }
            return GraphSendRecord(recipient: recipient, outbox: Self.outbox(recipient, action: name),
                                   entries: name == "typing_on" ? [SandboxEntry(.outbound, kind: "typing")] : [],
                                   answer: ["recipient_id": .string(recipient)], isMessage: false)
        }
        guard let message, message.objectValue != nil else { throw .graph("(#100) Must send either message or sender_action") }
        guard let text = message["text"]?.stringValue, !text.isEmpty else {
            throw .graph("(#100) The sandbox accepts text messages only: message.text is required")
        }
        let length = textLimit.length(of: text)
        guard length <= textLimit.maximum else {
            let unit = textLimit.unit == .utf8Bytes ? "UTF-8 bytes" : "characters"
            throw .graph("(#100) Length of param message[text] must be less than or equal to \(textLimit.maximum) \(unit) (got \(length))")
        }
        if call.injectedLimitRefuses(text) {
            throw .graph("(#100) Length of param message[text] must be at most \(call.injectedTextLimit ?? 0) (an injected fault)")
        }
        let replies = try QuickReply.graphList(message["quick_replies"])
        return GraphSendRecord(recipient: recipient, outbox: Self.outbox(recipient, text: text, replies: replies, id: call.messageID),
                               entries: [SandboxEntry(.outbound, kind: "text", text: text, choices: replies, messageID: call.messageID)],
                               answer: ["recipient_id": .string(recipient), "message_id": .string(call.messageID)], isMessage: true)
    }

    /// An outbox item: `recipient`, `text`, `quick_replies`, `sender_action`, `message_id`.
    static func outbox(_ recipient: String, text: String? = nil, replies: [QuickReply] = [], action: String? = nil, id: String? = nil) -> [MetaJSON.Member] {
        [.init("recipient", .string(recipient)), .init("text", .optional(text)),
         .init("quick_replies", .array(replies.map { ["title": .string($0.title), "payload": .string($0.payload)] })),
         .init("sender_action", .optional(action)), .init("message_id", .optional(id))]
    }
}
