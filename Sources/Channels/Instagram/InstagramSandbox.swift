import ChannelKit
import Foundation
import HTTPTypes
import Logging
import MetaPlatform

/// A local, in-memory emulator of Instagram Direct for one channel, mounted by the host at
/// `/sandbox/<name>` when the channel runs in sandbox mode.
///
/// It plays both sides of Meta:
/// - **Instagram users**: `POST api/send` builds a real `object: instagram` webhook body,
///   writes it the way Meta does (ASCII with `\uXXXX` and `\/` escapes), signs it with the app
///   secret and posts it to the channel's real webhook route over HTTP.
/// - **The Send API**: `POST graph/<version>/me/messages` (or `/<id>/messages`) checks the bearer
///   token, validates the body like Graph does (code 190 for a bad token, code 100 for a bad
///   body or a text over the limit), and records what the business sent.
///
/// - **Instagram's CDN**: `POST api/media` keeps an uploaded image or audio file in memory and
///   `GET media/<id>` serves it with the type it was uploaded with (voice notes can be served
///   as `video/mp4`, as Instagram does), so the host's real media fetcher downloads it. Bytes
///   that are not a picture or a sound of the declared kind are served as
///   `application/octet-stream`, always as an attachment that runs nothing
///   (``GraphSandboxReply/media(_:declaredType:)``).
///
/// Routes (relative to the mount point):
/// - `GET /` — the chat page.
/// - `POST /api/media` — the file as the body, its type as `Content-Type` → `{"id","url","bytes"}`.
/// - `GET /media/<id>` — an uploaded file; 404 once forgotten (an expired CDN link).
/// - `POST /api/send` — `{"user","text"?,"quick_reply_payload"?,"attachments"?:[{"type":"image"|"audio","media_id"}]}`
///   → `{"status","mid"}`; a text or an attachment is required.
/// - `GET /api/messages?user=<id>&after=<seq>` — one conversation since `seq`.
/// - `GET /api/outbox` — every recorded Graph send, in arrival order.
/// - `POST /api/reset` — forget everything.
/// - `POST /graph/<version>/<id|me>/messages` — the emulated Send API.
///
/// History is bounded: the last 1,000 messages per conversation, 1,000 conversations and the
/// last 5,000 Graph sends; uploaded media: files up to 32 MiB, at most 64 MiB and 32 files in
/// all, the oldest forgotten first. Nothing is written to disk.
public actor InstagramSandbox: ChannelSandbox {
    /// The emulated business account (the Instagram professional account id) that receives
    /// the users' messages.
    public static let businessAccountID = InstagramConfiguration.Sandbox.businessAccountID
    /// Messages kept per conversation.
    public static let historyLimit = 1_000
    /// Conversations kept.
    public static let conversationLimit = 1_000
    /// Graph sends kept in the outbox.
    public static let outboxLimit = 50_000
    /// The longest text a user may type into the emulator, in UTF-8 bytes.
    static let userTextLimit = 10_000
    /// The largest uploaded file: above the host's default media cap (25 MB), so that the
    /// host's refusal of oversized media can be seen.
    public static let mediaUploadLimit = 32 << 20
    /// Uploaded bytes kept in all.
    public static let mediaMemoryLimit = 64 << 20
    /// Uploaded files kept.
    public static let mediaCountLimit = 32
    /// Attachments in one message.
    static let attachmentLimit = 10

    private let channelName: String
    private let configuration: InstagramConfiguration
    private let http: any HTTPTransport
    private let webhookURL: String
    private let mediaBaseURL: String
    private let logger: Logger

    private var outboundCount = 0
    private var records = SandboxRecords<ThreadItem, OutboxItem>(
        historyLimit: historyLimit, conversationLimit: conversationLimit, outboxLimit: outboxLimit)
    private var waiters = SandboxTextWaiters()
    private var faults = GraphSandboxFaults()
    /// The sandbox that took over (the channel was reconfigured): requests still arriving here go there.
    private var successor: InstagramSandbox?
    private var media: [String: StoredMedia] = [:]
    private var mediaOrder: [String] = []
    private var mediaBytes = 0

    /// An uploaded file, in memory.
    struct StoredMedia: Sendable {
        var bytes: [UInt8]
        var contentType: String
    }

    /// One item of a conversation.
    struct ThreadItem: SandboxSequenced {
        enum Direction: String, Sendable { case inbound = "in", outbound = "out" }
        enum Kind: String, Sendable { case text, typing }
        var seq: Int
        var direction: Direction
        var kind: Kind
        var text: String?
        var quickReplies: [QuickReply]
        var time: Int64
        /// Labels of the attachments a user sent (`image/jpeg, 12 KB`).
        var attachments: [String] = []
    }

    /// One call the business made to the Send API.
    struct OutboxItem: Sendable {
        var seq: Int
        var recipient: String
        var text: String?
        var quickReplies: [QuickReply]
        var senderAction: String?
        var messageID: String?
        var time: Int64
    }

    init(channelName: String, configuration: InstagramConfiguration, context: ChannelContext) {
        self.channelName = channelName
        self.configuration = configuration
        self.http = context.http
        var base = context.localBaseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.webhookURL = base + ChannelContext.webhookPath(for: channelName)
        self.mediaBaseURL = base + ChannelContext.sandboxPath(for: channelName) + "/media/"
        var logger = context.logger
        logger[metadataKey: "sandbox"] = "\(channelName)"
        self.logger = logger
    }

    // MARK: Routing

    /// Answers a request below the mount point.
    /// - Parameter request: the request, its path relative to `/sandbox/<name>`.
    /// - Returns: the page, JSON, or a Graph-style error.
    public func handle(_ request: SandboxRequest) async -> SandboxResponse {
        if let successor { return await successor.handle(request) }
        var path = request.path.isEmpty ? "/" : request.path
        if !path.hasPrefix("/") { path = "/" + path }
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)

        switch (request.method, parts) {
        case (.get, []), (.get, ["index.html"]):
            return SandboxResponse(status: .ok, headers: GraphSandboxReply.pageHeaders, body: Array(InstagramSandboxPage.html.utf8))
        case (.post, ["api", "send"]):
            return await userSends(request)
        case (.post, ["api", "media"]):
            return upload(request)
        case (.get, let route) where route.count == 2 && route[0] == "media":
            return serveMedia(id: route[1])
        case (.get, ["api", "messages"]):
            return messages(request)
        case (.get, ["api", "outbox"]):
            if let minimum = request.query["min_texts"].flatMap(Int.init) {
                let timeout = request.query["timeout_ms"].flatMap(Int.init) ?? 10_000
                await waitForTexts(minimum, timeout: .milliseconds(min(max(timeout, 0), 600_000)))
            }
            return outboxJSON()
        case (.post, ["api", "faults"]):
            return configureFaults(request)
        case (.post, ["api", "reset"]):
            reset()
            return Self.json(["ok": true])
        case (.post, let graph) where graph.count == 4 && graph[0] == "graph" && graph[3] == "messages":
            if faults.delay > .zero { try? await Task.sleep(for: faults.delay) }
            if let successor { return await successor.handle(request) }
            if let injected = faults.nextFailure() { return injected }
            return graphSend(request)
        case (.get, let graph) where graph.count == 3 && graph[0] == "graph" && graph[2] == "me":
            if faults.delay > .zero { try? await Task.sleep(for: faults.delay) }
            if let successor { return await successor.handle(request) }
            if let injected = faults.nextFailure() { return injected }
            return graphAccount(request)
        case (_, []), (_, ["api", "send"]), (_, ["api", "media"]), (_, ["api", "messages"]), (_, ["api", "outbox"]), (_, ["api", "reset"]), (_, ["api", "faults"]):
            return Self.json(["error": "method not allowed"], status: .methodNotAllowed)
        case (_, let graph) where graph.count == 4 && graph[0] == "graph" && graph[3] == "messages":
            return Self.graphError(status: .methodNotAllowed, code: 100, message: "Unsupported request - method type: \(request.method.rawValue.lowercased())")
        default:
            return Self.json(["error": "not found"], status: .notFound)
        }
    }

    // MARK: The user's side

    private func userSends(_ request: SandboxRequest) async -> SandboxResponse {
        guard let body = try? MetaJSON.decode(request.body), body.objectValue != nil else {
            return Self.json(["error": "body must be a JSON object {\"user\",\"text\"}"], status: .badRequest)
        }
        guard let user = body["user"]?.stringValue?.trimmingWhitespace, !user.isEmpty, user.utf8.count <= 64 else {
            return Self.json(["error": "user must be a non-empty id of at most 64 bytes"], status: .badRequest)
        }
        guard user != Self.businessAccountID else {
            return Self.json(["error": "user must not be the business account"], status: .badRequest)
        }
        let text = body["text"]?.stringValue ?? ""
        guard text.utf8.count <= Self.userTextLimit else {
            return Self.json(["error": "text must be at most \(Self.userTextLimit) bytes"], status: .badRequest)
        }
        var attachments: [MetaJSON] = []
        var labels: [String] = []
        if let list = body["attachments"], !list.isNull {
            guard let items = list.arrayValue, items.count <= Self.attachmentLimit else {
                return Self.json(["error": "attachments must be an array of at most \(Self.attachmentLimit) items"], status: .badRequest)
            }
            for item in items {
                guard let type = item["type"]?.stringValue, type == "image" || type == "audio",
                      let id = item["media_id"]?.stringValue, let stored = media[id]
                else {
                    return Self.json(["error": "each attachment needs type image or audio and the media_id of an uploaded file"], status: .badRequest)
                }
                attachments.append(["type": .string(type), "payload": ["url": .string(mediaBaseURL + id)]])
                labels.append("\(type): \(stored.contentType), \(MediaData.sizeText(stored.bytes.count))")
            }
        }
        guard !text.isEmpty || !attachments.isEmpty else {
            return Self.json(["error": "send a non-empty text, an attachment, or both"], status: .badRequest)
        }
        let quickReplyPayload = body["quick_reply_payload"]?.stringValue

        let now = Self.nowMillis()
        let mid = "sandbox." + UUID().uuidString.lowercased()
        var message: [MetaJSON.Member] = [.init("mid", .string(mid))]
        if !text.isEmpty { message.append(.init("text", .string(text))) }
        if !attachments.isEmpty { message.append(.init("attachments", .array(attachments))) }
        if let quickReplyPayload {
            message.append(.init("quick_reply", ["payload": .string(quickReplyPayload)]))
        }
        let payload: MetaJSON = [
            "object": "instagram",
            "entry": [[
                "time": .integer(now),
                "id": .string(Self.businessAccountID),
                "messaging": [[
                    "sender": ["id": .string(user)],
                    "recipient": ["id": .string(Self.businessAccountID)],
                    "timestamp": .integer(now),
                    "message": .object(message),
                ]],
            ]],
        ]
        let webhookBody = payload.encoded(style: .metaWebhook)
        records.record(ThreadItem(seq: 0, direction: .inbound, kind: .text, text: text.isEmpty ? nil : text, quickReplies: [], time: now,
                          attachments: labels), for: user)

        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.userAgent] = "Sandra-Instagram-Sandbox"
        headers[MetaSignature.headerName] = MetaSignature.sign(body: webhookBody, secret: configuration.appSecret)
        let webhook = OutboundHTTPRequest(method: .post, url: webhookURL, headers: headers, body: webhookBody,
                                          timeout: .seconds(15), maxResponseBytes: 64 * 1024)
        do {
            let response = try await http.execute(webhook)
            if response.status.kind != .successful {
                logger.warning("sandbox webhook was refused", metadata: ["http.status": "\(response.status.code)"])
            }
            return Self.json(["status": .integer(Int64(response.status.code)), "mid": .string(mid)])
        } catch {
            logger.warning("sandbox webhook could not be delivered", metadata: ["error": "\(error)"])
            return Self.json(["status": 0, "mid": .string(mid), "error": .string("webhook delivery failed: \(error)")])
        }
    }

    private func messages(_ request: SandboxRequest) -> SandboxResponse {
        guard let user = request.query["user"]?.trimmingWhitespace, !user.isEmpty else {
            return Self.json(["error": "the user query parameter is required"], status: .badRequest)
        }
        let after = request.query["after"].flatMap { Int($0) } ?? 0
        let items = (records.conversations[user] ?? []).filter { $0.seq > after }
        let list: [MetaJSON] = items.map { item in
            [
                "seq": .integer(Int64(item.seq)),
                "direction": .string(item.direction.rawValue),
                "kind": .string(item.kind.rawValue),
                "text": .optional(item.text),
                "quick_replies": .array(item.quickReplies.map { ["title": .string($0.title), "payload": .string($0.payload)] }),
                "attachments": .array(item.attachments.map { .string($0) }),
                "time": .integer(item.time),
            ]
        }
        return Self.json(["messages": .array(list)])
    }

    private func outboxJSON() -> SandboxResponse {
        let list: [MetaJSON] = records.outbox.map { item in
            [
                "seq": .integer(Int64(item.seq)),
                "recipient": .string(item.recipient),
                "text": .optional(item.text),
                "quick_replies": .array(item.quickReplies.map { ["title": .string($0.title), "payload": .string($0.payload)] }),
                "sender_action": .optional(item.senderAction),
                "message_id": .optional(item.messageID),
                "time": .integer(item.time),
            ]
        }
        return Self.json(.array(list))
    }

    // MARK: The CDN

    /// Keeps an uploaded file in memory, forgetting the oldest ones beyond the bounds.
    private func upload(_ request: SandboxRequest) -> SandboxResponse {
        guard !request.body.isEmpty, request.body.count <= Self.mediaUploadLimit else {
            return Self.json(["error": "upload a non-empty file of at most \(MediaData.sizeText(Self.mediaUploadLimit))"], status: .badRequest)
        }
        var contentType = request.headers[.contentType] ?? "application/octet-stream"
        if contentType.utf8.count > 100 || contentType.contains(where: { $0.isNewline }) { contentType = "application/octet-stream" }
        let id = UUID().uuidString.lowercased()
        media[id] = StoredMedia(bytes: request.body, contentType: contentType)
        mediaOrder.append(id)
        mediaBytes += request.body.count
        while mediaOrder.count > Self.mediaCountLimit || mediaBytes > Self.mediaMemoryLimit, mediaOrder.count > 1 {
            let oldest = mediaOrder.removeFirst()
            mediaBytes -= media.removeValue(forKey: oldest)?.bytes.count ?? 0
        }
        return Self.json(["id": .string(id), "url": .string(mediaBaseURL + id), "bytes": .integer(Int64(request.body.count))])
    }

    /// Serves an uploaded file the way a CDN does: its bytes, with the type it came with when
    /// the bytes are a picture or a sound of that kind, and never as active content.
    private func serveMedia(id: String) -> SandboxResponse {
        guard let stored = media[id] else {
            return SandboxResponse(status: .notFound, headers: [.contentType: "text/plain"], body: Array("URL signature expired".utf8))
        }
        return GraphSandboxReply.media(stored.bytes, declaredType: stored.contentType)
    }

    /// The largest body taken per route: uploads up to ``mediaUploadLimit``, 1 MiB otherwise.
    public nonisolated func maxRequestBytes(for path: String) -> Int {
        takesFileUpload(at: path) ? Self.mediaUploadLimit : 1 << 20
    }

    /// `POST /api/media` takes the file as the body, with its own `Content-Type`.
    public nonisolated func takesFileUpload(at path: String) -> Bool {
        path.hasSuffix("/api/media") || path.hasSuffix("/api/media/")
    }

    private func reset() {
        records.reset()
        media = [:]
        mediaOrder = []
        mediaBytes = 0
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

    /// `POST /api/faults` `{"failure_rate": 0.3, "kinds": ["500", "429", "613", "190"], "delay_ms": 5, "seed": 7, "retry_after_seconds": 0}`:
    /// from now on a share of Send API calls fail the way Graph fails, and every call takes `delay_ms`;
    /// with `max_text_length`, longer texts are refused with code 100.
    private func configureFaults(_ request: SandboxRequest) -> SandboxResponse {
        guard let plan = GraphSandboxFaults(json: request.body) else {
            return Self.json(["error": .string(GraphSandboxFaults.usage)], status: .badRequest)
        }
        faults = plan
        return Self.json(["ok": true])
    }

    // MARK: The Send API

    private static let senderActions: Set<String> = ["typing_on", "typing_off", "mark_seen", "react", "unreact"]

    /// `GET /<version>/me`: the emulated business account behind the token.
    private func graphAccount(_ request: SandboxRequest) -> SandboxResponse {
        guard let token = bearerToken(request), token == configuration.accessToken else {
            return Self.graphError(status: .unauthorized, code: 190, message: "Invalid OAuth access token - Cannot parse access token")
        }
        return Self.json(["id": .string(Self.businessAccountID), "name": "Sandra Sandbox", "username": "sandra.sandbox"])
    }

    /// Takes over the previous sandbox's conversations and uploaded media.
    public func adopt(_ previous: any ChannelSandbox) async {
        guard let previous = previous as? InstagramSandbox, previous !== self else { return }
        let state = await previous.handOver(to: self)
        outboundCount = state.outboundCount
        records = state.records
        media = state.media
        mediaOrder = state.mediaOrder
        mediaBytes = state.mediaBytes
    }

    /// Gives this sandbox's state to `next` and sends every later request there, so that
    /// nothing recorded after the hand-over is lost.
    private func handOver(to next: InstagramSandbox) -> State {
        successor = next
        return state
    }

    private typealias State = (outboundCount: Int, records: SandboxRecords<ThreadItem, OutboxItem>, media: [String: StoredMedia],
                        mediaOrder: [String], mediaBytes: Int)

    /// What ``adopt(_:)`` carries over.
    private var state: State {
        (outboundCount, records, media, mediaOrder, mediaBytes)
    }

    private func bearerToken(_ request: SandboxRequest) -> String? {
        request.headers[.authorization].flatMap { value -> String? in
            value.hasPrefix("Bearer ") ? String(value.dropFirst(7)) : nil
        } ?? request.query["access_token"]
    }

    private func graphSend(_ request: SandboxRequest) -> SandboxResponse {
        guard let token = bearerToken(request), token == configuration.accessToken else {
            return Self.graphError(status: .unauthorized, code: 190, message: "Invalid OAuth access token - Cannot parse access token")
        }
        guard let body = try? MetaJSON.decode(request.body), body.objectValue != nil else {
            return Self.graphError(status: .badRequest, code: 100, message: "(#100) The request body is not a JSON object")
        }
        guard let recipient = body["recipient"]?["id"]?.idValue, !recipient.isEmpty else {
            return Self.graphError(status: .badRequest, code: 100, message: "(#100) The parameter recipient is required")
        }
        let message = body["message"]
        let action = body["sender_action"]
        if message != nil, action != nil {
            return Self.graphError(status: .badRequest, code: 100, message: "(#100) sender_action must be sent without a message")
        }
        let now = Self.nowMillis()

        if let action {
            guard let name = action.stringValue, Self.senderActions.contains(name) else {
                return Self.graphError(status: .badRequest, code: 100, message: "(#100) Param sender_action must be one of {TYPING_ON, TYPING_OFF, MARK_SEEN, REACT, UNREACT}")
            }
            let seq = records.nextSequence()
            records.appendOutbox(OutboxItem(seq: seq, recipient: recipient, text: nil, quickReplies: [], senderAction: name, messageID: nil, time: now))
            if name == "typing_on" {
                records.record(ThreadItem(seq: 0, direction: .outbound, kind: .typing, text: nil, quickReplies: [], time: now), for: recipient)
            }
            return Self.json(["recipient_id": .string(recipient)])
        }

        guard let message, message.objectValue != nil else {
            return Self.graphError(status: .badRequest, code: 100, message: "(#100) Must send either message or sender_action")
        }
        guard let text = message["text"]?.stringValue, !text.isEmpty else {
            return Self.graphError(status: .badRequest, code: 100, message: "(#100) The sandbox accepts text messages only: message.text is required")
        }
        guard text.utf8.count <= configuration.maxMessageBytes else {
            return Self.graphError(status: .badRequest, code: 100,
                                   message: "(#100) Length of param message[text] must be less than or equal to \(configuration.maxMessageBytes) UTF-8 bytes (got \(text.utf8.count))")
        }
        if faults.refuses(text: text) {
            return Self.graphError(status: .badRequest, code: 100,
                                   message: "(#100) Length of param message[text] must be at most \(faults.maxTextLength ?? 0) (an injected fault)")
        }
        var quickReplies: [QuickReply] = []
        if let list = message["quick_replies"], !list.isNull {
            guard let items = list.arrayValue, items.count <= 13 else {
                return Self.graphError(status: .badRequest, code: 100, message: "(#100) param message[quick_replies] must be an array of at most 13 items")
            }
            for item in items {
                guard item["content_type"]?.stringValue == "text",
                      let title = item["title"]?.stringValue, !title.isEmpty, title.count <= 20,
                      let payload = item["payload"]?.stringValue, !payload.isEmpty
                else {
                    return Self.graphError(status: .badRequest, code: 100, message: "(#100) each quick reply needs content_type text, a title of 1-20 characters and a payload")
                }
                quickReplies.append(QuickReply(title: title, payload: payload))
            }
        }
        outboundCount += 1
        let messageID = "sandbox.out.\(outboundCount)"
        let seq = records.nextSequence()
        records.appendOutbox(OutboxItem(seq: seq, recipient: recipient, text: text, quickReplies: quickReplies, senderAction: nil, messageID: messageID, time: now))
        waiters.recorded()
        records.record(ThreadItem(seq: 0, direction: .outbound, kind: .text, text: text, quickReplies: quickReplies, time: now), for: recipient)
        return Self.json(["recipient_id": .string(recipient), "message_id": .string(messageID)])
    }

    // MARK: State

    // MARK: Responses


    static func json(_ value: MetaJSON, status: HTTPResponse.Status = .ok) -> SandboxResponse {
        GraphSandboxReply.json(value, status: status)
    }

    static func graphError(status: HTTPResponse.Status, code: Int, subcode: Int? = nil, message: String) -> SandboxResponse {
        GraphSandboxReply.error(status: status, code: code, subcode: subcode, message: message)
    }

    static func nowMillis() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}
