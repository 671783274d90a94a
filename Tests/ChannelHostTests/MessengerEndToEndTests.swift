import Foundation
import MetaPlatform
import Testing
@testable import ChannelHost

/// The real host with a live Messenger channel against the fake Graph API: signed Page
/// webhooks in at `/api/channels/messenger`, the Send API on `/<page-id>/messages` out, the
/// identity commands answered by the shared flow.
@Suite("Messenger end to end", .serialized)
struct MessengerEndToEndTests {
    static let appSecret = "messenger-e2e-app-secret"
    static let verifyToken = "messenger-e2e-verify-token"
    static let psid = "6743128539012345"
    static let adminPassword = "correct horse battery staple"
    static let apiToken = "api-token-0123456789abcdef-xyz"

    static func yaml(graph: FakeGraphServer) -> String {
        """
        server: { host: 127.0.0.1, port: {{PORT}}, shutdown_timeout_seconds: 5 }
        storage: { path: {{DATA}}/sandra.sqlite }
        assistant: { type: echo }
        identity: { email: { development_mailer: true } }
        pipeline: { send_attempts: 1 }
        admin: { password: \(adminPassword), api_token: \(apiToken) }
        channels:
          messenger:
            type: messenger
            sandbox: false
            access_token: \(FakeGraphServer.Tokens.page)
            page_id: "\(FakeGraphServer.Tokens.pageID)"
            app_secret: \(appSecret)
            verify_token: \(verifyToken)
            graph_api_base_url: \(graph.baseURL)
        """
    }

    /// A Page webhook with one text message from the person, as Meta serializes it.
    static func body(mid: String, text: String) -> [UInt8] {
        let millis = Int64(Date().timeIntervalSince1970 * 1000)
        let quoted = MetaJSON.string(text).encodedString(style: .metaWebhook)
        let json = #"{"object":"page","entry":[{"id":"\#(FakeGraphServer.Tokens.pageID)","time":\#(millis),"messaging":[{"sender":{"id":"\#(psid)"},"#
            + #""recipient":{"id":"\#(FakeGraphServer.Tokens.pageID)"},"timestamp":\#(millis),"message":{"mid":"\#(mid)","text":\#(quoted)}}]}]}"#
        return Array(json.utf8)
    }

    static func post(_ host: TestHost, _ body: [UInt8], secret: String = appSecret) async throws -> TestHTTP.Reply {
        try await TestHTTP.request("POST", "\(host.baseURL)/api/channels/messenger",
                                   headers: ["Content-Type": "application/json", "X-Hub-Signature-256": MetaSignature.sign(body: body, secret: secret)],
                                   body: body)
    }

    /// The Send API calls the fake Graph received, as JSON.
    static func sent(_ graph: FakeGraphServer) throws -> [[String: Any]] {
        try graph.requests(to: "/\(FakeGraphServer.Tokens.pageID)/messages").map {
            try #require(JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any])
        }
    }

    @Test("the handshake, a refused signature, and a signed message answered in plain text on /<page-id>/messages with the Page token")
    func answersASignedWebhook() async throws {
        try await FakeGraphServer.withHost(yaml: Self.yaml) { graph, host in
            let url = "\(host.baseURL)/api/channels/messenger?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token="
            let handshake = try await TestHTTP.get(url + Self.verifyToken)
            #expect(handshake.status == 200)
            #expect(handshake.text == "1158201444")

            let forged = try await Self.post(host, Self.body(mid: "m_forged", text: "hello"), secret: "not-the-app-secret")
            #expect(forged.status == 403)

            let reply = try await Self.post(host, Self.body(mid: "m_e2e_1", text: "Olá Sandra 👋"))
            #expect(reply.status == 200)
            await host.waitUntilIdle()
            let sends = graph.requests(to: "/\(FakeGraphServer.Tokens.pageID)/messages")
            #expect(sends.allSatisfy { $0.method == "POST" && $0.path == "/v27.0/\(FakeGraphServer.Tokens.pageID)/messages" })
            #expect(sends.allSatisfy { $0.token == FakeGraphServer.Tokens.page })
            let texts = try Self.sent(graph).compactMap { ($0["message"] as? [String: Any])?["text"] as? String }
            #expect(texts.count == 1)
            let text = try #require(texts.first)
            #expect(text.hasPrefix("You said: Olá Sandra 👋\n"), "the echo assistant's **bold**, written as plain text")
            #expect(text.contains("channel: messenger") && !text.contains("**") && !text.contains("[Formatting help]"))
            let message = try #require(try Self.sent(graph).first { $0["message"] != nil })
            #expect((message["recipient"] as? [String: Any])?["id"] as? String == Self.psid)
            #expect(message["messaging_type"] as? String == "RESPONSE")
        }
    }

    @Test("identity commands are answered by the shared flow, with quick replies, not by the assistant")
    func identityLinking() async throws {
        try await FakeGraphServer.withHost(yaml: Self.yaml) { graph, host in
            #expect(try await Self.post(host, Self.body(mid: "m_who", text: "/whoami")).status == 200)
            await host.waitUntilIdle()
            #expect(try await Self.post(host, Self.body(mid: "m_link", text: "/link alice@example.com")).status == 200)
            await host.waitUntilIdle()
            let messages = try Self.sent(graph).compactMap { $0["message"] as? [String: Any] }
            let texts = messages.compactMap { $0["text"] as? String }
            #expect(texts.count == 2)
            #expect(texts.first?.contains("isn't linked to a Sandra profile") == true)
            #expect(texts.last?.contains("6-digit code") == true)
            #expect(!texts.contains { $0.contains("You said") })
            #expect(messages.allSatisfy { ($0["quick_replies"] as? [[String: Any]])?.isEmpty == false })
        }
    }

    @Test("the admin portal shows Messenger's settings, tests the Page token and subscribes the Page's webhooks")
    func adminPortal() async throws {
        try await FakeGraphServer.withHost(yaml: Self.yaml) { graph, host in
            let admin = AdminClient(baseURL: host.baseURL)
            try await admin.logIn(Self.adminPassword)
            let settings = try await admin.get("/admin/channels/messenger/settings")
            #expect(settings.status == 200)
            for label in ["Messenger Channel", "Access Token", "Page ID", "Verify Token", "App Secret", "API Version", "Graph API Base URL",
                          "App Secret Proof", "Max Message Characters"] {
                #expect(settings.text.contains(label), "\(label)")
            }
            #expect(!settings.text.contains(FakeGraphServer.Tokens.page) && !settings.text.contains(Self.appSecret), "secrets never in the page")

            let test = try await TestHTTP.request("POST", "\(host.baseURL)/admin/api/channels/messenger/test",
                                                  headers: ["Authorization": "Bearer \(Self.apiToken)"])
            let json = try #require(try test.json() as? [String: Any])
            #expect(json["ok"] as? Bool == true)
            #expect(json["account_id"] as? String == FakeGraphServer.Tokens.pageID)

            let subscribed = try await admin.post("/admin/channels/messenger/subscribe", [])
            #expect(subscribed.status == 200)
            let call = try #require(graph.requests(to: "/subscribed_apps").first)
            #expect(call.path == "/v27.0/\(FakeGraphServer.Tokens.pageID)/subscribed_apps")
            #expect(call.query["subscribed_fields"] == "messages,messaging_postbacks")
            #expect(call.token == FakeGraphServer.Tokens.page)
        }
    }
}
