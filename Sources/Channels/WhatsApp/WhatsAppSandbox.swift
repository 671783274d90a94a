import ChannelKit
import Crypto
import Foundation
import HTTPTypes
import Logging
import MetaPlatform

/// A local, in-memory emulator of WhatsApp for one channel, mounted by the host at
/// `/sandbox/<name>` when the channel runs in sandbox mode.
///
/// It plays both sides of Meta:
/// - **WhatsApp users**: `POST api/send` builds a real `object: whatsapp_business_account`
///   webhook body (a text, a media message, or a tap on a reply button), writes it the way
///   Meta does (ASCII with `\uXXXX` and `\/` escapes), signs it with the app secret and posts
///   it to the channel's real webhook route over HTTP. `POST api/status` delivers a status
///   (`sent`, `delivered`, `read`, `failed`) the same way.
/// - **The Cloud API**: `POST graph/<version>/<phone-number-id>/messages` checks the bearer
///   token and the phone number id, validates the body like Graph does (code 190 for a bad
///   token, code 100 for a bad body or a text over the limit — counted in code points and in
///   UTF-16 code units, as Graph counts) and records what the business
///   sent — texts, reply buttons, read receipts with the typing indicator. `GET
///   graph/<version>/<media-id>` and the URL it returns serve media uploaded with
///   `POST api/media`, with the bearer token required and URLs that expire after 5 minutes.
///
/// Routes (relative to the mount point):
/// - `GET /` — the chat page.
/// - `POST /api/send` — `{"user","text"}`, `{"user","media_id","media_type","caption"?}` or
///   `{"user","reply_id","reply_title"}` → `{"status","id"}`.
/// - `POST /api/status` — `{"user","message_id","status","error_code"?}` → `{"status"}`.
/// - `POST /api/media?mime_type=<type>` — raw bytes (with their `Content-Type`, or
///   `application/octet-stream`) → `{"id","sha256"}`; served back never as active content
///   (``GraphSandboxReply/media(_:declaredType:)``).
/// - `GET /api/messages?user=<id>&after=<seq>` — one conversation since `seq`.
/// - `GET /api/outbox` — every recorded Cloud API call, in arrival order;
///   `?min_texts=<n>&timeout_ms=<ms>` first waits until `n` texts were sent.
/// - `POST /api/faults` — failures injected into the Cloud API (see ``GraphSandboxFaults``).
/// - `POST /api/reset` — forget everything.
///
/// History is bounded: the last 1,000 messages per conversation, 1,000 conversations, the last
/// 50,000 Cloud API calls and the last 20 media items.
public actor WhatsAppSandbox: ChannelSandbox {
    /// The emulated business phone number id, when none is configured.
    public static let phoneNumberID = WhatsAppConfiguration.Sandbox.phoneNumberID
    /// The emulated business phone number, as `metadata.display_phone_number`.
    public static let displayPhoneNumber = WhatsAppConfiguration.Sandbox.displayPhoneNumber
    /// Messages kept per conversation.
    public static let historyLimit = 1_000
    /// Conversations kept.
    public static let conversationLimit = 1_000
    /// Cloud API calls kept in the outbox.
    public static let outboxLimit = 50_000
    /// Media items kept.
    public static let mediaLimit = 20
    /// The largest media item accepted by `POST /api/media`.
    public static let mediaByteLimit = 16 * 1024 * 1024
    /// How long a media download URL lives.
    public static let mediaURLLifetime: TimeInterval = 300
    /// The longest text a user may type into the emulator, in characters.
    static let userTextLimit = 10_000

    private let channelName: String
    private let configuration: WhatsAppConfiguration
    private let http: any HTTPTransport
    private let webhookURL: String
    private let mountURL: String
    private let logger: Logger
    private let urlKey = SymmetricKey(size: .bits256)
    private let now: @Sendable () -> Date

    private var outboundCount = 0
    private var records = SandboxRecords<ThreadItem, OutboxItem>(
        historyLimit: historyLimit, conversationLimit: conversationLimit, outboxLimit: outboxLimit)
    private var senders: [String: String] = [:]
    private var media: [String: MediaItem] = [:]
    private var mediaOrder: [String] = []
    private var waiters = SandboxTextWaiters()
    private var faults = GraphSandboxFaults()
    /// The sandbox that took over (the channel was reconfigured): requests still arriving here go there.
    private var successor: WhatsAppSandbox?

    /// One item of a conversation.
    struct ThreadItem: SandboxSequenced {
        enum Direction: String, Sendable { case inbound = "in", outbound = "out" }
        enum Kind: String, Sendable { case text, media, typing, read, status }
        var seq: Int
        var direction: Direction
        var kind: Kind
        var text: String?
        var buttons: [QuickReply]
        var messageID: String?
        var time: Int64
    }

    /// One call the business made to the Cloud API's messages endpoint.
    struct OutboxItem: Sendable {
        var seq: Int
        var phoneNumberID: String
        var recipient: String
        var type: String
        var text: String?
        var buttons: [QuickReply]
        var status: String?
        var readMessageID: String?
        var typing: Bool
        var messageID: String?
        var time: Int64
        /// The body field that named the recipient: `to` (a phone number) or `recipient` (a BSUID).
        var addressField: String = "to"
    }

    /// An uploaded media item.
    struct MediaItem: Sendable {
        var bytes: [UInt8]
        var mimeType: String
        var sha256: [UInt8]
    }

    init(channelName: String, configuration: WhatsAppConfiguration, context: ChannelContext,
         now: @escaping @Sendable () -> Date = { Date() }) {
        self.channelName = channelName
        self.configuration = configuration
        self.http = context.http
        var base = context.localBaseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.webhookURL = base + ChannelContext.webhookPath(for: channelName)
        self.mountURL = base + ChannelContext.sandboxPath(for: channelName)
        var logger = context.logger
        logger[metadataKey: "sandbox"] = "\(channelName)"
        self.logger = logger
        self.now = now
    }

    // MARK: Routing

    /// Answers a request below the mount point.
    /// - Parameter request: the request, its path relative to `/sandbox/<name>`.
    /// - Returns: the page, JSON, media bytes, or a Graph-style error.
    public func handle(_ request: SandboxRequest) async -> SandboxResponse {
        if let successor { return await successor.handle(request) }
        var path = request.path.isEmpty ? "/" : request.path
        if !path.hasPrefix("/") { path = "/" + path }
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)

        switch (request.method, parts) {
        case (.get, []), (.get, ["index.html"]):
            return SandboxResponse(status: .ok, headers: GraphSandboxReply.pageHeaders, body: Array(WhatsAppSandboxPage.html.utf8))
        case (.post, ["api", "send"]):
            return await userSends(request)
        case (.post, ["api", "status"]):
            return await deliverStatus(request)
        case (.post, ["api", "media"]):
            return upload(request)
        case (.get, ["api", "messages"]):
            return messages(request)
        case (.get, ["api", "outbox"]):
            if let minimum = request.query["min_texts"].flatMap(Int.init) {
                let timeout = request.query["timeout_ms"].flatMap(Int.init) ?? 10_000
                await waitForTexts(minimum, timeout: .milliseconds(min(max(timeout, 0), 600_000)))
            }
            return outboxJSON()
        case (.post, ["api", "faults"]):
            guard let plan = GraphSandboxFaults(json: request.body) else {
                return GraphSandboxReply.json(["error": .string(GraphSandboxFaults.usage)], status: .badRequest)
            }
            faults = plan
            return GraphSandboxReply.json(["ok": true])
        case (.post, ["api", "reset"]):
            reset()
            return GraphSandboxReply.json(["ok": true])
        case (.post, let graph) where graph.count == 4 && graph[0] == "graph" && graph[3] == "messages":
            if faults.delay > .zero { try? await Task.sleep(for: faults.delay) }
            if let successor { return await successor.handle(request) }
            if let injected = faults.nextFailure() { return injected }
            return cloudAPISend(request, phoneNumberID: graph[2])
        case (.get, let graph) where graph.count == 3 && graph[0] == "graph" && (graph[2] == configuration.phoneNumberID || graph[2] == "me"):
            if faults.delay > .zero { try? await Task.sleep(for: faults.delay) }
            if let successor { return await successor.handle(request) }
            if let injected = faults.nextFailure() { return injected }
            return accountLookup(request, id: graph[2])
        case (.get, let graph) where graph.count == 3 && graph[0] == "graph":
            return mediaLookup(request, mediaID: graph[2])
        case (.get, let download) where download.count == 2 && download[0] == "media":
            return mediaDownload(request, mediaID: download[1])
        case (_, let api) where api.isEmpty || (api.count == 2 && api[0] == "api"):
            return GraphSandboxReply.json(["error": "method not allowed"], status: .methodNotAllowed)
        case (_, let graph) where graph.first == "graph":
            return GraphSandboxReply.error(status: .methodNotAllowed, code: 100,
                                           message: "Unsupported request - method type: \(request.method.rawValue.lowercased())")
        default:
            return GraphSandboxReply.json(["error": "not found"], status: .notFound)
        }
    }

    // MARK: The user's side

    private func userSends(_ request: SandboxRequest) async -> SandboxResponse {
        guard let body = try? MetaJSON.decode(request.body), body.objectValue != nil else {
            return GraphSandboxReply.json(["error": "body must be a JSON object {\"user\",\"text\"}"], status: .badRequest)
        }
        guard let user = body["user"]?.stringValue?.trimmingWhitespace, !user.isEmpty, user.utf8.count <= 64 else {
            return GraphSandboxReply.json(["error": "user must be a non-empty id of at most 64 bytes"], status: .badRequest)
        }
        guard user != Self.displayPhoneNumber else {
            return GraphSandboxReply.json(["error": "user must not be the business number"], status: .badRequest)
        }
        let id = "wamid.sandbox." + UUID().uuidString.lowercased()
        let seconds = Int64(now().timeIntervalSince1970)
        var message: [MetaJSON.Member] = [.init("from", .string(user)), .init("id", .string(id)), .init("timestamp", .string(String(seconds)))]
        let shown: String
        let kind: ThreadItem.Kind

        if let text = body["text"]?.stringValue {
            guard !text.isEmpty, text.count <= Self.userTextLimit else {
                return GraphSandboxReply.json(["error": "text must be non-empty and at most \(Self.userTextLimit) characters"], status: .badRequest)
            }
            message += [.init("type", "text"), .init("text", ["body": .string(text)])]
            shown = text
            kind = .text
        } else if let replyID = body["reply_id"]?.stringValue, let title = body["reply_title"]?.stringValue {
            if let context = body["context_id"]?.stringValue {
                message.append(.init("context", ["from": .string(Self.displayPhoneNumber), "id": .string(context)]))
            }
            message += [.init("type", "interactive"),
                        .init("interactive", ["type": "button_reply", "button_reply": ["id": .string(replyID), "title": .string(title)]])]
            shown = title
            kind = .text
        } else if let mediaID = body["media_id"]?.stringValue, let item = media[mediaID] {
            let type = body["media_type"]?.stringValue ?? "image"
            guard ["image", "audio", "voice", "video", "document", "sticker"].contains(type) else {
                return GraphSandboxReply.json(["error": "media_type must be image, audio, voice, video, document or sticker"], status: .badRequest)
            }
            let wireType = type == "voice" ? "audio" : type
            var object: [MetaJSON.Member] = [
                .init("mime_type", .string(item.mimeType)),
                .init("sha256", .string(Data(item.sha256).base64EncodedString())),
                .init("id", .string(mediaID)),
            ]
            if type == "voice" { object.append(.init("voice", true)) }
            if let caption = body["caption"]?.stringValue, ["image", "video", "document"].contains(type) {
                object.append(.init("caption", .string(caption)))
            }
            message += [.init("type", .string(wireType)), .init(wireType, .object(object))]
            shown = "[\(type)]" + (body["caption"]?.stringValue.map { " " + $0 } ?? "")
            kind = .media
        } else {
            return GraphSandboxReply.json(["error": "send text, a media_id from api/media, or reply_id and reply_title"], status: .badRequest)
        }

        let payload = Self.envelope(configuration.phoneNumberID, [
            .init("contacts", [["profile": ["name": .string(body["name"]?.stringValue ?? "Sandbox user")], "wa_id": .string(user)]]),
            .init("messages", [.object(message)]),
        ])
        senders[id] = user
        records.record(ThreadItem(seq: 0, direction: .inbound, kind: kind, text: shown, buttons: [], messageID: id, time: seconds * 1000), for: user)
        let status = await postWebhook(payload)
        var reply: [MetaJSON.Member] = [.init("status", .integer(Int64(status.code))), .init("id", .string(id))]
        if let error = status.error { reply.append(.init("error", .string(error))) }
        return GraphSandboxReply.json(.object(reply))
    }

    private func deliverStatus(_ request: SandboxRequest) async -> SandboxResponse {
        guard let body = try? MetaJSON.decode(request.body), body.objectValue != nil,
              let user = body["user"]?.stringValue, !user.isEmpty,
              let messageID = body["message_id"]?.stringValue, !messageID.isEmpty,
              let status = body["status"]?.stringValue, ["sent", "delivered", "read", "failed", "played"].contains(status)
        else {
            return GraphSandboxReply.json(["error": "body must be {\"user\",\"message_id\",\"status\": sent|delivered|read|failed|played}"], status: .badRequest)
        }
        let seconds = Int64(now().timeIntervalSince1970)
        var item: [MetaJSON.Member] = [
            .init("id", .string(messageID)), .init("status", .string(status)),
            .init("timestamp", .string(String(seconds))), .init("recipient_id", .string(user)),
        ]
        if status == "failed" {
            let code = body["error_code"]?.integerValue ?? 131047
            item.append(.init("errors", [["code": .integer(code), "title": "Re-engagement message",
                                          "message": "Re-engagement message",
                                          "error_data": ["details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number."]]]))
        }
        let payload = Self.envelope(configuration.phoneNumberID, [.init("statuses", [.object(item)])])
        records.record(ThreadItem(seq: 0, direction: .outbound, kind: .status, text: status, buttons: [], messageID: messageID, time: seconds * 1000), for: user)
        let outcome = await postWebhook(payload)
        var reply: [MetaJSON.Member] = [.init("status", .integer(Int64(outcome.code)))]
        if let error = outcome.error { reply.append(.init("error", .string(error))) }
        return GraphSandboxReply.json(.object(reply))
    }

    /// A `whatsapp_business_account` delivery of one `messages` change.
    static func envelope(_ phoneNumberID: String, _ members: [MetaJSON.Member]) -> MetaJSON {
        let value: [MetaJSON.Member] = [
            .init("messaging_product", "whatsapp"),
            .init("metadata", ["display_phone_number": .string(displayPhoneNumber), "phone_number_id": .string(phoneNumberID)]),
        ] + members
        return [
            "object": "whatsapp_business_account",
            "entry": [["id": .string(WhatsAppConfiguration.Sandbox.businessAccountID),
                       "changes": [["value": .object(value), "field": "messages"]]]],
        ]
    }

    /// Signs a delivery the way Meta does and posts it to the channel's webhook route.
    private func postWebhook(_ payload: MetaJSON) async -> (code: Int, error: String?) {
        let webhookBody = payload.encoded(style: .metaWebhook)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.userAgent] = "Sandra-WhatsApp-Sandbox"
        headers[MetaSignature.headerName] = MetaSignature.sign(body: webhookBody, secret: configuration.appSecret)
        let webhook = OutboundHTTPRequest(method: .post, url: webhookURL, headers: headers, body: webhookBody,
                                          timeout: .seconds(15), maxResponseBytes: 64 * 1024)
        do {
            let response = try await http.execute(webhook)
            if response.status.kind != .successful {
                logger.warning("sandbox webhook was refused", metadata: ["http.status": "\(response.status.code)"])
            }
            return (response.status.code, nil)
        } catch {
            logger.warning("sandbox webhook could not be delivered", metadata: ["error": "\(error)"])
            return (0, "webhook delivery failed: \(error)")
        }
    }

    /// `POST /api/media` takes the file as the body, with its own `Content-Type`.
    public nonisolated func takesFileUpload(at path: String) -> Bool {
        path.hasSuffix("/api/media") || path.hasSuffix("/api/media/")
    }

    private func upload(_ request: SandboxRequest) -> SandboxResponse {
        guard !request.body.isEmpty, request.body.count <= Self.mediaByteLimit else {
            return GraphSandboxReply.json(["error": "the body must hold 1 to \(Self.mediaByteLimit) bytes"], status: .badRequest)
        }
        let mimeType = request.query["mime_type"] ?? request.headers[.contentType] ?? "application/octet-stream"
        let id = String(1_000_000_000_000_000 + Int64.random(in: 0..<8_999_999_999_999_999))
        let digest = Array(SHA256.hash(data: request.body))
        media[id] = MediaItem(bytes: request.body, mimeType: mimeType, sha256: digest)
        mediaOrder.append(id)
        while mediaOrder.count > Self.mediaLimit { media[mediaOrder.removeFirst()] = nil }
        return GraphSandboxReply.json(["id": .string(id), "sha256": .string(Self.hex(digest))])
    }

    private func messages(_ request: SandboxRequest) -> SandboxResponse {
        guard let user = request.query["user"]?.trimmingWhitespace, !user.isEmpty else {
            return GraphSandboxReply.json(["error": "the user query parameter is required"], status: .badRequest)
        }
        let after = request.query["after"].flatMap { Int($0) } ?? 0
        let items = (records.conversations[user] ?? []).filter { $0.seq > after }
        let list: [MetaJSON] = items.map { item in
            [
                "seq": .integer(Int64(item.seq)),
                "direction": .string(item.direction.rawValue),
                "kind": .string(item.kind.rawValue),
                "text": .optional(item.text),
                "buttons": .array(item.buttons.map { ["title": .string($0.title), "id": .string($0.payload)] }),
                "message_id": .optional(item.messageID),
                "time": .integer(item.time),
            ]
        }
        return GraphSandboxReply.json(["messages": .array(list)])
    }

    private func outboxJSON() -> SandboxResponse {
        let list: [MetaJSON] = records.outbox.map { item in
            [
                "seq": .integer(Int64(item.seq)),
                "phone_number_id": .string(item.phoneNumberID),
                "recipient": .string(item.recipient),
                "type": .string(item.type),
                "text": .optional(item.text),
                "buttons": .array(item.buttons.map { ["title": .string($0.title), "id": .string($0.payload)] }),
                "status": .optional(item.status),
                "read_message_id": .optional(item.readMessageID),
                "typing_indicator": .bool(item.typing),
                "message_id": .optional(item.messageID),
                "time": .integer(item.time),
                "address_field": .string(item.addressField),
            ]
        }
        return GraphSandboxReply.json(.array(list))
    }

    private func reset() {
        records.reset()
        senders = [:]
        media = [:]
        mediaOrder = []
        outboundCount = 0
        waiters.reset()
        faults = GraphSandboxFaults()
    }

    /// Returns once at least `minimum` texts were sent (since the last reset), after `timeout`,
    /// or when the request is cancelled (the host shutting down).
    private func waitForTexts(_ minimum: Int, timeout: Duration) async {
        guard let id = waiters.reserve(minimum) else { return }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.releaseWaiter(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // On the actor: a cancellation before this is seen here, one after it releases the waiter.
                if Task.isCancelled { continuation.resume() } else { waiters.park(id, minimum: minimum, continuation) }
            }
        } onCancel: {
            Task { await self.releaseWaiter(id) }
        }
        timer.cancel()
    }

    private func releaseWaiter(_ id: Int) {
        waiters.release(id)
    }

    // MARK: The Cloud API

    private func bearer(_ request: SandboxRequest) -> String? {
        request.headers[.authorization].flatMap { value -> String? in
            value.hasPrefix("Bearer ") ? String(value.dropFirst("Bearer ".count)) : nil
        }
    }

    private func cloudAPISend(_ request: SandboxRequest, phoneNumberID: String) -> SandboxResponse {
        guard let token = bearer(request), token == configuration.accessToken else {
            return GraphSandboxReply.error(status: .unauthorized, code: 190, message: "Invalid OAuth access token - Cannot parse access token")
        }
        guard phoneNumberID == configuration.phoneNumberID else {
            return GraphSandboxReply.error(status: .badRequest, code: 100, subcode: 33,
                                           message: "Unsupported post request. Object with ID '\(phoneNumberID.prefix(40))' does not exist, cannot be loaded due to missing permissions, or does not support this operation.")
        }
        guard let body = try? MetaJSON.decode(request.body), body.objectValue != nil else {
            return Self.invalid("The request body is not a JSON object")
        }
        guard body["messaging_product"]?.stringValue == "whatsapp" else {
            return Self.invalid("The parameter messaging_product is required and must be whatsapp")
        }
        let time = Int64((now().timeIntervalSince1970 * 1000).rounded())

        if let status = body["status"] {
            guard status.stringValue == "read", let messageID = body["message_id"]?.stringValue, !messageID.isEmpty else {
                return Self.invalid("A status update needs status read and a message_id")
            }
            var typing = false
            if let indicator = body["typing_indicator"], !indicator.isNull {
                guard indicator["type"]?.stringValue == "text" else { return Self.invalid("typing_indicator.type must be text") }
                typing = true
            }
            let user = senders[messageID] ?? ""
            records.appendOutbox(OutboxItem(seq: records.nextSequence(), phoneNumberID: phoneNumberID, recipient: user, type: "read", text: nil, buttons: [],
                                    status: "read", readMessageID: messageID, typing: typing, messageID: nil, time: time))
            if !user.isEmpty {
                records.record(ThreadItem(seq: 0, direction: .outbound, kind: .read, text: nil, buttons: [], messageID: messageID, time: time), for: user)
                if typing {
                    records.record(ThreadItem(seq: 0, direction: .outbound, kind: .typing, text: nil, buttons: [], messageID: nil, time: time), for: user)
                }
            }
            return GraphSandboxReply.json(["success": true])
        }

        // A phone number in `to`, or a business-scoped user id in `recipient`; `to` wins when both are set.
        let phone = body["to"]?.idValue.flatMap { $0.isEmpty ? nil : $0 }
        guard let to = phone ?? body["recipient"]?.idValue.flatMap({ $0.isEmpty ? nil : $0 }) else {
            return Self.invalid("The parameter to (or recipient) is required")
        }
        if let recipientType = body["recipient_type"]?.stringValue, recipientType != "individual" {
            return Self.invalid("recipient_type must be individual")
        }
        let type = body["type"]?.stringValue ?? "text"
        let text: String
        var buttons: [QuickReply] = []
        switch type {
        case "text":
            guard let textBody = body["text"]?["body"]?.stringValue, !textBody.isEmpty else {
                return Self.invalid("The parameter text['body'] is required")
            }
            // Graph counts code points or UTF-16 code units, not graphemes; the sandbox refuses a
            // text over the limit in either.
            let length = max(textBody.unicodeScalars.count, textBody.utf16.count)
            guard length <= configuration.maxMessageCharacters else {
                return Self.invalid("Param text['body'] must be at most \(configuration.maxMessageCharacters) characters long (got \(length))")
            }
            if faults.refuses(text: textBody) {
                return Self.invalid("Param text['body'] must be at most \(faults.maxTextLength ?? 0) characters long (an injected fault)")
            }
            text = textBody
        case "interactive":
            let interactive = body["interactive"]
            guard interactive?["type"]?.stringValue == "button" else {
                return Self.invalid("The sandbox accepts interactive messages of type button only")
            }
            guard let bodyText = interactive?["body"]?["text"]?.stringValue, !bodyText.isEmpty, bodyText.utf16.count <= 1024 else {
                return Self.invalid("Param interactive['body']['text'] is required and must be at most 1024 characters long")
            }
            guard let list = interactive?["action"]?["buttons"]?.arrayValue, (1...3).contains(list.count) else {
                return Self.invalid("Param interactive['action']['buttons'] must hold 1 to 3 buttons")
            }
            for button in list {
                guard button["type"]?.stringValue == "reply",
                      let title = button["reply"]?["title"]?.stringValue, !title.isEmpty, title.count <= 20,
                      let id = button["reply"]?["id"]?.stringValue, !id.isEmpty, id.count <= 256
                else {
                    return Self.invalid("Each button needs type reply, a title of 1-20 characters and an id of 1-256 characters")
                }
                buttons.append(QuickReply(title: title, payload: id))
            }
            text = bodyText
        default:
            return Self.invalid("The sandbox accepts text and interactive messages only (got type \(type.prefix(20)))")
        }

        outboundCount += 1
        let messageID = "wamid.sandbox.out.\(outboundCount)"
        records.appendOutbox(OutboxItem(seq: records.nextSequence(), phoneNumberID: phoneNumberID, recipient: to, type: type, text: text, buttons: buttons,
                                status: nil, readMessageID: nil, typing: false, messageID: messageID, time: time,
                                addressField: phone == nil ? "recipient" : "to"))
        waiters.recorded()
        records.record(ThreadItem(seq: 0, direction: .outbound, kind: .text, text: text, buttons: buttons, messageID: messageID, time: time), for: to)
        return GraphSandboxReply.json([
            "messaging_product": "whatsapp",
            "contacts": [["input": .string(to), (phone == nil ? "user_id" : "wa_id"): .string(to)]],
            "messages": [["id": .string(messageID)]],
        ])
    }

    /// `GET /<version>/<phone-number-id>` (the number) or `/me` (the system user), as Graph answers them.
    private func accountLookup(_ request: SandboxRequest, id: String) -> SandboxResponse {
        guard let token = bearer(request), token == configuration.accessToken else {
            return GraphSandboxReply.error(status: .unauthorized, code: 190, message: "Invalid OAuth access token - Cannot parse access token")
        }
        if id == "me" {
            return GraphSandboxReply.json(["id": "sandbox-system-user", "name": "Sandra Sandbox"])
        }
        return GraphSandboxReply.json([
            "verified_name": "Sandra Sandbox", "display_phone_number": .string(Self.displayPhoneNumber),
            "quality_rating": "GREEN", "id": .string(id),
        ])
    }

    /// Takes over the previous sandbox's conversations, senders and media.
    public func adopt(_ previous: any ChannelSandbox) async {
        guard let previous = previous as? WhatsAppSandbox, previous !== self else { return }
        let state = await previous.handOver(to: self)
        outboundCount = state.outboundCount
        records = state.records
        senders = state.senders
        media = state.media
        mediaOrder = state.mediaOrder
    }

    /// Gives this sandbox's state to `next` and sends every later request there, so that
    /// nothing recorded after the hand-over is lost.
    private func handOver(to next: WhatsAppSandbox) -> State {
        successor = next
        return state
    }

    private typealias State = (outboundCount: Int, records: SandboxRecords<ThreadItem, OutboxItem>, senders: [String: String],
                        media: [String: MediaItem], mediaOrder: [String])

    /// What ``adopt(_:)`` carries over.
    private var state: State {
        (outboundCount, records, senders, media, mediaOrder)
    }

    private func mediaLookup(_ request: SandboxRequest, mediaID: String) -> SandboxResponse {
        guard let token = bearer(request), token == configuration.accessToken else {
            return GraphSandboxReply.error(status: .unauthorized, code: 190, message: "Invalid OAuth access token - Cannot parse access token")
        }
        guard let item = media[mediaID] else {
            return GraphSandboxReply.error(status: .badRequest, code: 100, subcode: 33,
                                           message: "Unsupported get request. Object with ID '\(mediaID.prefix(40))' does not exist, cannot be loaded due to missing permissions, or does not support this operation.")
        }
        let expires = Int64(now().timeIntervalSince1970 + Self.mediaURLLifetime)
        let url = "\(mountURL)/media/\(mediaID)?expires=\(expires)&sig=\(signature(mediaID, expires))"
        return GraphSandboxReply.json([
            "messaging_product": "whatsapp", "url": .string(url), "mime_type": .string(item.mimeType),
            "sha256": .string(Self.hex(item.sha256)), "file_size": .integer(Int64(item.bytes.count)), "id": .string(mediaID),
        ])
    }

    private func mediaDownload(_ request: SandboxRequest, mediaID: String) -> SandboxResponse {
        guard let token = bearer(request), token == configuration.accessToken else {
            return GraphSandboxReply.error(status: .unauthorized, code: 190, message: "Invalid OAuth access token - the media URL needs the bearer token")
        }
        guard let expires = request.query["expires"].flatMap({ Int64($0) }), let sig = request.query["sig"],
              isValidSignature(sig, mediaID, expires),
              Double(expires) >= now().timeIntervalSince1970, let item = media[mediaID]
        else {
            return SandboxResponse(status: .notFound, headers: [.contentType: "text/plain"], body: Array("URL expired or unknown".utf8))
        }
        return GraphSandboxReply.media(item.bytes, declaredType: item.mimeType)
    }

    private func signature(_ mediaID: String, _ expires: Int64) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(mediaID):\(expires)".utf8), using: urlKey)
        return Self.hex(Array(mac))
    }

    /// Checks a download URL's `sig` in constant time.
    private func isValidSignature(_ sig: String, _ mediaID: String, _ expires: Int64) -> Bool {
        guard sig.utf8.count == 64 else { return false }
        var bytes: [UInt8] = []
        var index = sig.startIndex
        while index < sig.endIndex {
            let next = sig.index(index, offsetBy: 2)
            guard let byte = UInt8(sig[index..<next], radix: 16) else { return false }
            bytes.append(byte)
            index = next
        }
        return HMAC<SHA256>.isValidAuthenticationCode(bytes, authenticating: Array("\(mediaID):\(expires)".utf8), using: urlKey)
    }

    private static func invalid(_ message: String) -> SandboxResponse {
        GraphSandboxReply.error(status: .badRequest, code: 100, message: "(#100) Invalid parameter", details: message)
    }

    // MARK: State

    // MARK: Responses


    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
