import ChannelKit
import Foundation
import HTTPTypes
import Logging
import MetaPlatform

/// A local, in-memory emulator of one Meta platform for one channel, mounted by the host at
/// `/sandbox/<name>` when the channel runs in sandbox mode; what is the platform's own comes
/// from its ``GraphEmulation``.
///
/// It plays both sides of Meta:
/// - **People**: `POST api/send` builds the platform's real webhook body, writes it the way
///   Meta does (ASCII with `\uXXXX` and `\/` escapes), signs it with the app secret and posts
///   it to the channel's real webhook route over HTTP.
/// - **Graph**: `POST graph/<version>/<id>/messages` checks the bearer token (code 190), lets
///   the description validate the body like Graph does (code 100) and records what the
///   business sent; `GET graph/<version>/<id>` answers account lookups and, on WhatsApp,
///   media lookups.
/// - **The CDN**: `POST api/media` keeps a file in memory; `GET media/<id>` serves it back,
///   never as active content (``GraphSandboxReply/media(_:declaredType:)``).
///
/// Routes (relative to the mount point):
/// - `GET /` — the chat page.
/// - `POST /api/send`, `POST /api/status` — see the description → `{"status", …}`.
/// - `POST /api/media` — the file as the body, its type as `Content-Type` (or `?mime_type=`)
///   → `{"id","sha256","bytes","url"?}`.
/// - `GET /api/messages?user=<id>&after=<seq>` — one conversation since `seq`, each entry
///   with the raw request that carried it.
/// - `GET /api/outbox` — every recorded Send API call, in arrival order;
///   `?min_texts=<n>&timeout_ms=<ms>` first waits until `n` messages were sent.
/// - `POST /api/faults` — failures injected into Graph (see ``GraphSandboxFaults``).
/// - `POST /api/reset` — forget everything.
///
/// History is bounded: the last 1,000 entries per conversation, 1,000 conversations and the
/// last 50,000 Send API calls; media by the description's ``EmulatedMediaPolicy``.
public actor GraphEmulator: ChannelSandbox {
    /// Entries kept per conversation.
    public static let historyLimit = 1_000
    /// Conversations kept.
    public static let conversationLimit = 1_000
    /// Send API calls kept in the outbox.
    public static let outboxLimit = 50_000

    /// The platform's part.
    public nonisolated let emulation: any GraphEmulation
    let webhookURL: String
    let webhookPath: String
    let mountURL: String
    let http: any HTTPTransport
    let logger: Logger
    let now: @Sendable () -> Date
    let signer = MediaURLSigner()

    var sentCount = 0
    var records = SandboxRecords<SandboxEntry, MetaJSON>(historyLimit: historyLimit, conversationLimit: conversationLimit, outboxLimit: outboxLimit)
    /// Which person sent each inbound message id (read receipts name the message).
    var senders: [String: String] = [:]
    var media: EmulatedMediaStore
    var waiters = SandboxTextWaiters()
    var faults = GraphSandboxFaults()
    /// The emulator that took over (the channel was reconfigured): requests still arriving here go there.
    var successor: GraphEmulator?

    /// Creates an emulator for the channel `channelName`.
    /// - Parameters:
    ///   - emulation: the platform's part, read from the channel's settings.
    ///   - channelName: the channel's name (its webhook and mount paths).
    ///   - context: the host's HTTP transport, logger and own base URL.
    ///   - now: the clock (tests move it to expire media URLs).
    public init(_ emulation: any GraphEmulation, channelName: String, context: ChannelContext,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.emulation = emulation
        self.http = context.http
        var base = context.localBaseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.webhookPath = ChannelContext.webhookPath(for: channelName)
        self.webhookURL = base + webhookPath
        self.mountURL = base + ChannelContext.sandboxPath(for: channelName)
        var logger = context.logger
        logger[metadataKey: "sandbox"] = "\(channelName)"
        self.logger = logger
        self.now = now
        self.media = EmulatedMediaStore(policy: emulation.media)
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
            let html = SandboxPage.html(emulation.page, uploadLimit: emulation.media.uploadLimit)
            return SandboxResponse(status: .ok, headers: GraphSandboxReply.pageHeaders, body: Array(html.utf8))
        case (.post, ["api", "send"]):
            return await personAction(request) { body, context throws(SandboxRefusal) in
                guard let user = body["user"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines), !user.isEmpty,
                      user.utf8.count <= 64 else {
                    throw .person("user must be a non-empty id of at most 64 bytes")
                }
                return try self.emulation.personSends(body, user: user, context: context)
            }
        case (.post, ["api", "status"]):
            return await personAction(request) { body, context throws(SandboxRefusal) in
                try self.emulation.statusDelivery(body, context: context)
            }
        case (.post, ["api", "media"]):
            return upload(request)
        case (.get, let route) where route.count == 2 && route[0] == "media":
            return download(request, id: route[1])
        case (.get, ["api", "messages"]):
            return messages(request)
        case (.get, ["api", "outbox"]):
            if let minimum = request.query["min_texts"].flatMap(Int.init) {
                let timeout = request.query["timeout_ms"].flatMap(Int.init) ?? 10_000
                await waitForTexts(minimum, timeout: .milliseconds(min(max(timeout, 0), 600_000)))
            }
            return GraphSandboxReply.json(.array(records.outbox))
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
            return await graphCall(request) { self.graphSend(request, target: graph[2], path: path) }
        case (.get, let graph) where graph.count == 3 && graph[0] == "graph" && emulation.isAccount(graph[2]):
            return await graphCall(request) { .success(self.emulation.account(graph[2])) }
        case (.get, let graph) where graph.count == 3 && graph[0] == "graph":
            return mediaLookup(request, id: graph[2])
        case (_, let api) where api.isEmpty || (api.count == 2 && api[0] == "api"):
            return GraphSandboxReply.json(["error": "method not allowed"], status: .methodNotAllowed)
        case (_, let graph) where graph.first == "graph" && (graph.count == 3 || (graph.count == 4 && graph[3] == "messages")):
            return GraphSandboxReply.error(status: .methodNotAllowed, code: 100,
                                           message: "Unsupported request - method type: \(request.method.rawValue.lowercased())")
        default:
            return GraphSandboxReply.json(["error": "not found"], status: .notFound)
        }
    }

    /// The largest body taken per route: uploads up to the policy's limit, 1 MiB otherwise.
    public nonisolated func maxRequestBytes(for path: String) -> Int {
        takesFileUpload(at: path) ? emulation.media.uploadLimit : 1 << 20
    }

    /// `POST /api/media` takes the file as the body, with its own `Content-Type`.
    public nonisolated func takesFileUpload(at path: String) -> Bool {
        path.hasSuffix("/api/media") || path.hasSuffix("/api/media/")
    }

    // MARK: State

    /// Forgets everything, injected faults included.
    func reset() {
        records.reset()
        senders = [:]
        media.reset()
        sentCount = 0
        waiters.reset()
        faults = GraphSandboxFaults()
    }

    /// Takes over the previous emulator's conversations, senders and media, so that
    /// reconfiguring a channel keeps the emulated conversations going.
    public func adopt(_ previous: any ChannelSandbox) async {
        guard let previous = previous as? GraphEmulator, previous !== self,
              type(of: previous.emulation) == type(of: emulation) else { return }
        let state = await previous.handOver(to: self)
        sentCount = state.sentCount
        records = state.records
        senders = state.senders
        media = state.media
    }

    /// Gives this emulator's state to `next` and sends every later request there, so that
    /// nothing recorded after the hand-over is lost.
    private func handOver(to next: GraphEmulator) -> (sentCount: Int, records: SandboxRecords<SandboxEntry, MetaJSON>,
                                                     senders: [String: String], media: EmulatedMediaStore) {
        successor = next
        return (sentCount, records, senders, media)
    }

    /// Returns once at least `minimum` messages were sent (since the last reset), after
    /// `timeout`, or when the request is cancelled (the host shutting down).
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

    private func messages(_ request: SandboxRequest) -> SandboxResponse {
        guard let user = request.query["user"]?.trimmingCharacters(in: .whitespacesAndNewlines), !user.isEmpty else {
            return GraphSandboxReply.json(["error": "the user query parameter is required"], status: .badRequest)
        }
        let after = request.query["after"].flatMap { Int($0) } ?? 0
        let items = (records.conversations[user] ?? []).filter { $0.seq > after }
        return GraphSandboxReply.json(["messages": .array(items.map(\.json))])
    }

    /// The time in milliseconds.
    var nowMillis: Int64 { Int64((now().timeIntervalSince1970 * 1000).rounded()) }
}
