import Foundation
import Testing
@testable import ChannelHost

/// A live Instagram-Login channel against a fake graph.instagram.com: where replies go, and
/// the admin API's webhook subscription of the Instagram account.
@Suite("Instagram via Instagram Login")
struct InstagramLoginEndToEndTests {
    static let apiToken = "api-token-0123456789abcdef-xyz"

    static func yaml(graph: FakeGraphServer) -> String {
        TokenRefreshTests.yaml(graph: graph).replacingOccurrences(
            of: "admin: { password: \(TokenRefreshTests.password) }",
            with: "admin: { password: \(TokenRefreshTests.password), api_token: \(apiToken) }")
    }

    @Test("replies go to /<version>/me/messages with the Instagram User token; the API subscribes the account /me names, on its own id")
    func sendAndSubscribe() async throws {
        let graph = try await FakeGraphServer.start()
        do {
            try await withHost(yaml: Self.yaml(graph: graph)) { host in
                try await TokenRefreshTests.deliver(host, mid: "m-1", text: "hi")
                let send = try #require(graph.requests(to: "/messages").first)
                #expect(send.method == "POST" && send.path == "/v27.0/me/messages")
                #expect(send.token == FakeGraphServer.Tokens.instagramUser)

                let reply = try await TestHTTP.request("POST", "\(host.baseURL)/admin/api/channels/instagram/subscribe",
                                                       headers: ["Authorization": "Bearer \(Self.apiToken)"])
                #expect(reply.status == 200)
                let json = try #require(try reply.json() as? [String: Any])
                #expect(json["ok"] as? Bool == true)
                #expect(json["account"] as? String == FakeGraphServer.Tokens.instagramAccountID)
                #expect(json["fields"] as? [String] == ["messages", "messaging_postbacks"])
                let lookup = try #require(graph.requests(to: "/v27.0/me").first)
                #expect(lookup.query["fields"] == "user_id,username")
                let subscribe = try #require(graph.requests(to: "/subscribed_apps").first)
                #expect(subscribe.path == "/v27.0/\(FakeGraphServer.Tokens.instagramAccountID)/subscribed_apps")
                #expect(subscribe.query["subscribed_fields"] == "messages,messaging_postbacks")
                #expect(subscribe.token == FakeGraphServer.Tokens.instagramUser)

                // The channel's report: the Graph version with its expiry, and the token's (unknown before a first refresh).
                // (The host's refresh job records it when it starts; recorded here too, so as not to race that start.)
                TokenRefreshService(supervisor: host.runtime.supervisor, status: host.runtime.status, interval: .seconds(3600),
                                    now: { Date() }, logger: host.runtime.logger).describe()
                let report = try await TestHTTP.request("GET", "\(host.baseURL)/admin/api/channels/instagram",
                                                        headers: ["Authorization": "Bearer \(Self.apiToken)"])
                let channel = try #require(try report.json() as? [String: Any])
                #expect(channel["api_version_summary"] as? String == "v27.0 (no expiry announced)")
                #expect(channel["subscribes_webhooks"] as? Bool == true)
                let token = try #require(channel["token"] as? [String: Any])
                #expect(token["expiry_estimated"] as? Bool == true)

                let unknown = try await TestHTTP.request("POST", "\(host.baseURL)/admin/api/channels/nope/subscribe",
                                                         headers: ["Authorization": "Bearer \(Self.apiToken)"])
                #expect(unknown.status == 404)
            }
        } catch {
            try? await graph.stop()
            throw error
        }
        try await graph.stop()
    }
}
