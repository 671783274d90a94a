import Foundation
import MetaPlatform
import Testing
@testable import ChannelHost

/// Instagram via Facebook Login against a fake Graph API: the Page-token exchange for a
/// system-user token, the refusal of the wrong token at Test connection, `subscribed_apps`
/// from the portal and from `sandra subscribe-webhooks`, and `appsecret_proof`.
@Suite("Instagram via Facebook Login")
struct FacebookLoginTests {
    static let password = "correct horse battery staple"
    static let apiToken = "api-token-0123456789abcdef-xyz"

    static func yaml(graph: FakeGraphServer, accessToken: String = FakeGraphServer.Tokens.systemUser, pageID: String? = FakeGraphServer.Tokens.pageID,
                     proof: Bool = false, storage: String = "{{DATA}}/sandra.sqlite", port: String = "{{PORT}}") -> String {
        """
        server: { host: 127.0.0.1, port: \(port), shutdown_timeout_seconds: 5 }
        storage: { path: \(storage) }
        assistant: { type: echo }
        identity: { enabled: false }
        pipeline: { send_attempts: 1 }
        admin: { password: \(password), api_token: \(apiToken) }
        channels:
          instagram:
            type: instagram
            login: facebook
            access_token: \(accessToken)
            \(pageID.map { "page_id: \"\($0)\"" } ?? "")
            appsecret_proof: \(proof)
            app_secret: \(InstagramFixtures.appSecret)
            verify_token: \(InstagramFixtures.verifyToken)
            graph_api_base_url: \(graph.baseURL)
        """
    }

    static func deliver(_ host: TestHost, mid: String) async throws {
        let body = InstagramFixtures.body(sender: "igsid-7", mid: mid, text: "hello", timestamp: Int64(Date().timeIntervalSince1970 * 1000))
        let reply = try await TestHTTP.request("POST", "\(host.baseURL)/api/channels/instagram",
                                               headers: ["Content-Type": "application/json", "X-Hub-Signature-256": InstagramFixtures.signature(body)],
                                               body: body)
        #expect(reply.status == 200)
        await host.waitUntilIdle()
    }

    /// `appsecret_proof` as Meta defines it (the hex HMAC-SHA256 of the token keyed with the app
    /// secret), computed here with the webhook signer's HMAC rather than the code under test.
    static func proof(_ token: String) -> String {
        String(MetaSignature.sign(body: Array(token.utf8), secret: InstagramFixtures.appSecret).dropFirst(MetaSignature.prefix.count))
    }

    static func withGraphAndHost(proof: Bool = false, accessToken: String = FakeGraphServer.Tokens.systemUser,
                                 pageID: String? = FakeGraphServer.Tokens.pageID,
                                 _ body: (FakeGraphServer, TestHost) async throws -> Void) async throws {
        try await FakeGraphServer.withHost(yaml: { yaml(graph: $0, accessToken: accessToken, pageID: pageID, proof: proof) }, body)
    }

    @Test("a system-user token is exchanged once for the Page token, which sends on graph's /<version>/me/messages; no appsecret_proof unless asked")
    func pageTokenExchange() async throws {
        try await Self.withGraphAndHost { graph, host in
            try await Self.deliver(host, mid: "m-1")
            try await Self.deliver(host, mid: "m-2")
            let exchanges = graph.requests(to: "/v27.0/\(FakeGraphServer.Tokens.pageID)")
            #expect(exchanges.count == 1, "exchanged once, then kept")
            #expect(exchanges.first?.query["fields"] == "access_token")
            #expect(exchanges.first?.token == FakeGraphServer.Tokens.systemUser)
            let sends = graph.requests(to: "/me/messages")
            #expect(sends.count == 2)
            #expect(sends.allSatisfy { $0.path == "/v27.0/me/messages" && $0.token == FakeGraphServer.Tokens.page })
            #expect(graph.received.allSatisfy { $0.query["appsecret_proof"] == nil })
        }
    }

    @Test("with appsecret_proof: true every Graph call carries the HMAC-SHA256 of its own token keyed with the app secret")
    func appSecretProof() async throws {
        try await Self.withGraphAndHost(proof: true) { graph, host in
            try await Self.deliver(host, mid: "m-1")
            let exchange = try #require(graph.requests(to: "/v27.0/\(FakeGraphServer.Tokens.pageID)").first)
            #expect(exchange.query["appsecret_proof"] == Self.proof(FakeGraphServer.Tokens.systemUser))
            let send = try #require(graph.requests(to: "/me/messages").first)
            #expect(send.query["appsecret_proof"] == Self.proof(FakeGraphServer.Tokens.page))
        }
    }

    @Test("Test connection refuses a system-user token without page_id, saying a Page token is needed; with page_id it connects as the Page")
    func wrongTokenRefused() async throws {
        try await Self.withGraphAndHost(pageID: nil) { _, host in
            let reply = try await TestHTTP.request("POST", "\(host.baseURL)/admin/api/channels/instagram/test",
                                                   headers: ["Authorization": "Bearer \(Self.apiToken)"])
            let json = try #require(try reply.json() as? [String: Any])
            #expect(json["ok"] as? Bool == false)
            let error = try #require(json["error"] as? String)
            #expect(error.contains("not a Page access token"))
            #expect(error.contains("page_id"))
        }
        try await Self.withGraphAndHost(accessToken: FakeGraphServer.Tokens.instagramUser, pageID: nil) { graph, host in
            let reply = try await TestHTTP.request("POST", "\(host.baseURL)/admin/api/channels/instagram/test",
                                                   headers: ["Authorization": "Bearer \(Self.apiToken)"])
            let json = try #require(try reply.json() as? [String: Any])
            #expect(json["ok"] as? Bool == false)
            #expect((json["error"] as? String)?.contains("Instagram User access token") == true)
            #expect(graph.received.isEmpty, "refused before any call")
        }
        try await Self.withGraphAndHost { _, host in
            let reply = try await TestHTTP.request("POST", "\(host.baseURL)/admin/api/channels/instagram/test",
                                                   headers: ["Authorization": "Bearer \(Self.apiToken)"])
            let json = try #require(try reply.json() as? [String: Any])
            #expect(json["ok"] as? Bool == true)
            #expect((json["account"] as? String)?.contains("Acme Shop") == true)
            #expect(json["account_id"] as? String == FakeGraphServer.Tokens.pageID)
        }
    }

    @Test("Subscribe to webhooks from the portal posts the Page's subscribed_apps with the Page token")
    func subscribeFromPortal() async throws {
        try await Self.withGraphAndHost { graph, host in
            let admin = AdminClient(baseURL: host.baseURL)
            try await admin.logIn(Self.password)
            let status = try await admin.get("/admin/channels/instagram")
            #expect(status.text.contains(#"id="subscribe-webhooks""#))
            let page = try await admin.post("/admin/channels/instagram/subscribe", [])
            #expect(page.status == 200)
            #expect(page.text.contains(#"id="subscribe-result">Subscribed \#(FakeGraphServer.Tokens.pageID) to messages, messaging_postbacks"#))
            let call = try #require(graph.requests(to: "/subscribed_apps").first)
            #expect(call.method == "POST")
            #expect(call.path == "/v27.0/\(FakeGraphServer.Tokens.pageID)/subscribed_apps")
            #expect(call.query["subscribed_fields"] == "messages,messaging_postbacks")
            #expect(call.token == FakeGraphServer.Tokens.page)
        }
    }

    @Test("sandra subscribe-webhooks <channel> does the same from the command line")
    func subscribeFromCommandLine() async throws {
        let graph = try await FakeGraphServer.start()
        do {
            let config = try CommandLineTests.temporaryFile(Self.yaml(graph: graph, storage: makeTemporaryDirectory() + "/none.sqlite", port: "8080"))
            let run = try await CommandLineTests.run(["subscribe-webhooks", "instagram", "-c", config])
            #expect(run.status == 0, "stderr: \(run.stderr)")
            #expect(run.stdout.contains("subscribed \(FakeGraphServer.Tokens.pageID) to messages,messaging_postbacks"))
            let call = try #require(graph.requests(to: "/subscribed_apps").first)
            #expect(call.token == FakeGraphServer.Tokens.page)
            #expect(!run.stdout.contains(FakeGraphServer.Tokens.page) && !run.stderr.contains(FakeGraphServer.Tokens.systemUser))

            let unknown = try await CommandLineTests.run(["subscribe-webhooks", "nope", "-c", config])
            #expect(unknown.status == 64)
            #expect(unknown.stderr.contains("no enabled channel named 'nope'"))
        } catch {
            try? await graph.stop()
            throw error
        }
        try await graph.stop()
    }
}
