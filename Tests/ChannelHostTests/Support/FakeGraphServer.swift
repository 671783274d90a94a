import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A local HTTP server playing Meta's Graph API for live channels, in its wire format: the
/// Send API (`POST /<version>/me/messages`), `GET /<version>/me`, the Page-token exchange
/// (`GET /<version>/<page-id>?fields=access_token`), `subscribed_apps`, and Instagram Login's
/// `GET /refresh_access_token`. It records every request (path, query, bearer token, body) so
/// a test can see which token went where and what was sent.
final class FakeGraphServer: Sendable {
    /// One request received.
    struct Received: Sendable {
        let method: String
        let path: String
        let query: [String: String]
        /// The bearer token, from `Authorization` or the `access_token` query parameter.
        let token: String?
        /// The request body (a Send API call's JSON).
        var body: [UInt8] = []
    }

    /// The tokens the fake knows.
    enum Tokens {
        /// An Instagram User token (Instagram Login).
        static let instagramUser = "IGAAinitial-user-token"
        /// A system-user token (Facebook Login): not a Page token.
        static let systemUser = "EAAsystem-user-token"
        /// The Page token the exchange gives.
        static let page = "EAApage-token-for-1122334455"
        static let pageID = "1122334455"
        static let instagramAccountID = "17841400000000099"
    }

    private struct State {
        var received: [Received] = []
        var refreshes = 0
        /// The next refreshes fail while positive.
        var failRefreshes = 0
        /// Refreshes hand back the token they were given.
        var sameTokenOnRefresh = false
        /// `take_thread_control` is refused (the app is not the primary one).
        var refuseTakingThreads = false
        /// Tokens Graph accepts for sending.
        var valid: Set<String> = [Tokens.instagramUser, Tokens.page]
    }

    private final class Shared: Sendable {
        let state = Mutex(State())
    }

    let baseURL: String
    private let shared: Shared
    private let server: LoopbackServer

    private init(baseURL: String, shared: Shared, server: LoopbackServer) {
        self.baseURL = baseURL
        self.shared = shared
        self.server = server
    }

    var received: [Received] { shared.state.withLock { $0.received } }

    /// The requests to a path (without the version).
    func requests(to suffix: String) -> [Received] { received.filter { $0.path.hasSuffix(suffix) } }

    /// Makes the next `count` refreshes fail with a Graph error.
    func failNextRefreshes(_ count: Int) { shared.state.withLock { $0.failRefreshes = count } }

    /// Makes `take_thread_control` fail as it does for an app that may not take threads.
    func refuseTakingThreads() { shared.state.withLock { $0.refuseTakingThreads = true } }

    /// Makes refreshes hand back the token they were given, with a new lifetime.
    func refreshWithTheSameToken() { shared.state.withLock { $0.sameTokenOnRefresh = true } }

    /// The token the `n`th refresh hands out (1-based).
    static func refreshedToken(_ n: Int) -> String { "IGAArefreshed-\(n)" }
    /// The `expires_in` of refreshed tokens: 60 days, as Meta answers.
    static let refreshedLifetime = 5_184_000

    static func start() async throws -> FakeGraphServer {
        let shared = Shared()
        let router = Router()
        router.on("**", method: .get) { request, _ in try await answer(request, shared: shared) }
        router.on("**", method: .post) { request, _ in try await answer(request, shared: shared) }
        let served = try await LoopbackServer.start(router, logger: Logger(label: "fake-graph"))
        return FakeGraphServer(baseURL: "http://127.0.0.1:\(served.port)", shared: shared, server: served)
    }

    func stop() async throws {
        try await server.stop()
    }

    /// Runs `body` with a fake Graph API and a host configured by `yaml` (given the fake's
    /// base URL), and stops both, whatever `body` does.
    static func withHost(yaml: (FakeGraphServer) -> String, _ body: (FakeGraphServer, TestHost) async throws -> Void) async throws {
        let graph = try await start()
        do {
            try await ChannelHostTests.withHost(yaml: yaml(graph)) { host in try await body(graph, host) }
        } catch {
            try? await graph.stop()
            throw error
        }
        try await graph.stop()
    }

    private static func answer(_ request: Request, shared: Shared) async throws -> Response {
        let body = Array(buffer: try await request.body.collect(upTo: 1 << 20))
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        let bearer = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        let token = bearer ?? query["access_token"]
        let path = request.uri.path
        let method = request.method.rawValue
        let (valid, refreshNumber, failRefresh, same): (Bool, Int, Bool, Bool) = shared.state.withLock { state in
            state.received.append(Received(method: method, path: path, query: query, token: token, body: body))
            var failing = false
            var number = 0
            if path == "/refresh_access_token" {
                if state.failRefreshes > 0 {
                    state.failRefreshes -= 1
                    failing = true
                } else if let token, state.valid.contains(token) {
                    state.refreshes += 1
                    number = state.refreshes
                    state.valid.insert(refreshedToken(number))
                }
            }
            return (token.map { state.valid.contains($0) || $0 == Tokens.systemUser } ?? false, number, failing, state.sameTokenOnRefresh)
        }
        if failRefresh {
            return json(#"{"error":{"message":"An unexpected error has occurred. Please retry your request later.","type":"OAuthException","is_transient":true,"code":2,"fbtrace_id":"AbCdEf"}}"#, status: .serviceUnavailable)
        }
        guard valid else {
            return json(#"{"error":{"message":"Invalid OAuth access token - Cannot parse access token","type":"OAuthException","code":190,"fbtrace_id":"AbCdEf"}}"#, status: .unauthorized)
        }
        let parts = path.split(separator: "/").map(String.init)
        switch (method, parts.count, parts.last ?? "") {
        case ("GET", 1, "refresh_access_token"):
            let handedOut = same ? (token ?? "") : refreshedToken(refreshNumber)
            return json(#"{"access_token":"\#(handedOut)","token_type":"bearer","expires_in":\#(refreshedLifetime)}"#)
        case ("POST", 3, "messages"):
            let count = shared.state.withLock { $0.received.count }
            return json(#"{"recipient_id":"r","message_id":"mid.fake.\#(count)"}"#)
        case ("POST", 3, "subscribed_apps"), ("POST", 3, "request_thread_control"):
            return json(#"{"success":true}"#)
        case ("POST", 3, "take_thread_control"):
            if shared.state.withLock({ $0.refuseTakingThreads }) {
                return json(#"{"error":{"message":"(#27) Take thread control is not supported when Conversation Routing is not enabled","type":"OAuthException","code":27,"fbtrace_id":"AbCdEf"}}"#, status: .badRequest)
            }
            return json(#"{"success":true}"#)
        case ("GET", 2, "me"):
            if token?.hasPrefix("IG") == true {
                return json(#"{"user_id":"\#(Tokens.instagramAccountID)","username":"acme.shop","id":"27000000000000001"}"#)
            }
            if token == Tokens.systemUser, query["fields"]?.contains("category") == true {
                return json(#"{"error":{"message":"(#100) Tried accessing nonexisting field (category) on node type (User)","type":"OAuthException","code":100,"fbtrace_id":"AbCdEf"}}"#, status: .badRequest)
            }
            return json(#"{"id":"\#(Tokens.pageID)","name":"Acme Shop","category":"Shopping & retail"}"#)
        case ("GET", 2, Tokens.pageID) where query["fields"] == "access_token":
            return json(#"{"access_token":"\#(Tokens.page)","id":"\#(Tokens.pageID)"}"#)
        default:
            return json(#"{"error":{"message":"Unknown path components: \#(path)","type":"OAuthException","code":2500,"fbtrace_id":"AbCdEf"}}"#, status: .badRequest)
        }
    }

    private static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
