import ChannelKit
import ChannelKitTesting
import Foundation
import Logging
import SQLiteStorage
import Testing
@testable import ChannelHost

/// Instagram Login's 60-day tokens, refreshed by the host against a fake Graph API with a
/// test clock: when a refresh happens, where the new token goes (sealed in the saved
/// settings, and into the next send), and what `/readyz` and the admin portal say of the
/// expiry and of a failed refresh.
@Suite("Access token refresh (Instagram Login)")
struct TokenRefreshTests {
    static let password = "correct horse battery staple"
    static let day: TimeInterval = 86_400

    /// Now, to the second: saved times go through the store, which keeps milliseconds.
    static func wholeSecond() -> Date { Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)) }

    static func yaml(graph: FakeGraphServer, accessToken: String = FakeGraphServer.Tokens.instagramUser) -> String {
        """
        server: { host: 127.0.0.1, port: {{PORT}}, shutdown_timeout_seconds: 5 }
        storage: { path: {{DATA}}/sandra.sqlite }
        assistant: { type: echo }
        identity: { enabled: false }
        pipeline: { send_attempts: 1 }
        admin: { password: \(password) }
        channels:
          instagram:
            type: instagram
            login: instagram
            access_token: \(accessToken)
            app_secret: \(InstagramFixtures.appSecret)
            verify_token: \(InstagramFixtures.verifyToken)
            graph_api_base_url: \(graph.baseURL)
        """
    }

    /// The host's refresh job on the test clock (the host's own only checks hourly in real time).
    static func refresher(_ host: TestHost, clock: TestClock) -> TokenRefreshService {
        TokenRefreshService(supervisor: host.runtime.supervisor, status: host.runtime.status, interval: .seconds(3600),
                            now: clock.now, logger: Logger(label: "test-refresh"))
    }

    /// Delivers one signed message and waits until it is answered.
    static func deliver(_ host: TestHost, mid: String, text: String) async throws {
        let body = InstagramFixtures.body(sender: "igsid-1", mid: mid, text: text, timestamp: Int64(Date().timeIntervalSince1970 * 1000))
        let reply = try await TestHTTP.request("POST", "\(host.baseURL)/api/channels/instagram",
                                               headers: ["Content-Type": "application/json", "X-Hub-Signature-256": InstagramFixtures.signature(body)],
                                               body: body)
        #expect(reply.status == 200)
        await host.waitUntilIdle()
    }

    /// The bearer tokens of the sends the fake received, in order.
    static func sendTokens(_ graph: FakeGraphServer) -> [String?] {
        graph.requests(to: "/me/messages").map(\.token)
    }

    static func readyzToken(_ host: TestHost) async throws -> [String: Any] {
        let json = try #require(try await TestHTTP.get("\(host.baseURL)/readyz").json() as? [String: Any])
        let channels = try #require(json["channels"] as? [String: Any])
        let channel = try #require(channels["instagram"] as? [String: Any])
        return try #require(channel["token"] as? [String: Any])
    }

    @Test("a token is refreshed once it is over 24 hours old, sealed in the saved settings, and the next send uses it; /readyz and the portal show the expiry")
    func refreshesAndUsesTheNewToken() async throws {
        let graph = try await FakeGraphServer.start()
        let clock = TestClock(Self.wholeSecond())
        let host = try await TestHost.start(yaml: Self.yaml(graph: graph), now: clock.now)
        do {
            let refresher = Self.refresher(host, clock: clock)
            refresher.describe()
            #expect(try await Self.readyzToken(host)["expires_at"] is NSNull, "a token from channels.yaml has no known age before its first refresh")

            try await Self.deliver(host, mid: "m-1", text: "before")
            #expect(Self.sendTokens(graph) == [FakeGraphServer.Tokens.instagramUser])

            // A token of unknown age is refreshed at the first check.
            let start = clock.time
            let first = await refresher.refreshDue()
            let firstExpiry = start.addingTimeInterval(TimeInterval(FakeGraphServer.refreshedLifetime))
            #expect(first == ["instagram": .refreshed(expiresAt: firstExpiry)])
            let refreshCall = try #require(graph.requests(to: "/refresh_access_token").first)
            #expect(refreshCall.query["grant_type"] == "ig_refresh_token")
            #expect(refreshCall.token == FakeGraphServer.Tokens.instagramUser)

            // Saved sealed, as the portal saves secrets; served at once.
            let saved = try #require(try await host.runtime.store.settingOverrides(channel: "instagram")["access_token"])
            #expect(saved.value.hasPrefix(SecretBox.prefix))
            #expect(!saved.value.contains(FakeGraphServer.refreshedToken(1)))
            #expect(saved.updatedAt == start)
            #expect(host.runtime.supervisor.channel(named: "instagram")?.configuration.settings.string("access_token") == FakeGraphServer.refreshedToken(1))
            try await Self.deliver(host, mid: "m-2", text: "after")
            #expect(Self.sendTokens(graph).last == FakeGraphServer.refreshedToken(1))

            // The expiry: Meta's expires_in, in /readyz and on the status page.
            let token = try await Self.readyzToken(host)
            #expect(token["expires_at"] as? String == ISO8601DateFormatter().string(from: firstExpiry))
            #expect(token["expiry_estimated"] as? Bool == false)
            #expect(token["refresh_error"] == nil)
            let admin = AdminClient(baseURL: host.baseURL)
            try await admin.logIn(Self.password)
            let page = try await admin.get("/admin/channels/instagram")
            #expect(page.text.contains(#"id="token-expiry">expires \#(SettingOrigin.format(firstExpiry))"#))
            #expect(page.text.contains("refreshed by the host \(SettingOrigin.format(start))"))
            #expect(page.text.contains("Graph API v27.0 (no expiry announced)"))

            // Not again before it is a day old; then again, with the token it was given.
            clock.advance(by: 23 * 3600)
            #expect(await refresher.refreshDue() == ["instagram": .notDue])
            #expect(graph.requests(to: "/refresh_access_token").count == 1)
            clock.advance(by: 2 * 3600)
            let second = await refresher.refreshDue()
            #expect(second == ["instagram": .refreshed(expiresAt: clock.time.addingTimeInterval(TimeInterval(FakeGraphServer.refreshedLifetime)))])
            #expect(graph.requests(to: "/refresh_access_token").last?.token == FakeGraphServer.refreshedToken(1))
            try await Self.deliver(host, mid: "m-3", text: "later")
            #expect(Self.sendTokens(graph).last == FakeGraphServer.refreshedToken(2))
        } catch {
            try? await host.stop()
            try? await graph.stop()
            throw error
        }
        try await host.stop()
        try await graph.stop()
    }

    @Test("hosts sharing a store make one refresh of a token, however many of them check at the same moment")
    func oneRefreshAcrossHosts() async throws {
        let graph = try await FakeGraphServer.start()
        let clock = TestClock(Self.wholeSecond())
        let host = try await TestHost.start(yaml: Self.yaml(graph: graph), now: clock.now)
        // Three hosts' refresh jobs on one store, checking together.
        let refreshers = (0..<3).map { _ in
            TokenRefreshService(supervisor: host.runtime.supervisor, status: host.runtime.status, interval: .seconds(3600),
                                now: clock.now, logger: Logger(label: "test-refresh"), shared: host.runtime.store)
        }
        let outcomes = await withTaskGroup(of: TokenRefreshService.Outcome?.self) { group in
            for refresher in refreshers { group.addTask { await refresher.refreshDue()["instagram"] } }
            return await group.reduce(into: [TokenRefreshService.Outcome?]()) { $0.append($1) }
        }
        #expect(outcomes.filter { if case .refreshed = $0 { true } else { false } }.count == 1, "\(outcomes)")
        #expect(outcomes.filter { $0 == .notDue }.count == 2, "\(outcomes)")
        #expect(graph.requests(to: "/refresh_access_token").count == 1)
        try await host.stop()
        try await graph.stop()
    }

    @Test("a failed refresh is reported in /readyz and the portal while the old token keeps sending; a portal-saved token is not refreshed before it is a day old")
    func failedRefreshIsReported() async throws {
        let graph = try await FakeGraphServer.start()
        let clock = TestClock(Self.wholeSecond())
        let host = try await TestHost.start(yaml: Self.yaml(graph: graph, accessToken: "IGAAold-yaml-token"), now: clock.now)
        do {
            let refresher = Self.refresher(host, clock: clock)
            // An operator pastes a token now: its age is known from the save.
            _ = try await host.runtime.supervisor.reconfigure("instagram", .init(values: ["access_token": FakeGraphServer.Tokens.instagramUser]),
                                                             at: clock.time)
            let pastedAt = clock.time
            #expect(await refresher.refreshDue() == ["instagram": .notDue])
            #expect(graph.requests(to: "/refresh_access_token").isEmpty)
            let estimated = try await Self.readyzToken(host)
            #expect(estimated["expires_at"] as? String == ISO8601DateFormatter().string(from: pastedAt.addingTimeInterval(60 * Self.day)))
            #expect(estimated["expiry_estimated"] as? Bool == true)

            clock.advance(by: Self.day + 60)
            graph.failNextRefreshes(1)
            let outcome = await refresher.refreshDue()
            guard case .failed(let problem)? = outcome["instagram"] else {
                Issue.record("expected a failed refresh, got \(outcome)")
                return
            }
            #expect(problem.contains("unexpected error"), "Graph's message is kept: \(problem)")
            #expect(host.runtime.supervisor.channel(named: "instagram")?.configuration.settings.string("access_token") == FakeGraphServer.Tokens.instagramUser)

            let readyz = try #require(try await TestHTTP.get("\(host.baseURL)/readyz").json() as? [String: Any])
            #expect(readyz["status"] as? String == "ready", "59 days are left: reported, not degraded")
            let token = try await Self.readyzToken(host)
            #expect((token["refresh_error"] as? String)?.contains("unexpected error") == true)
            #expect(token["refresh_failed_at"] as? String == ISO8601DateFormatter().string(from: clock.time))
            let admin = AdminClient(baseURL: host.baseURL)
            try await admin.logIn(Self.password)
            let page = try await admin.get("/admin/channels/instagram")
            #expect(page.text.contains(#"id="token-refresh-error">The last refresh failed"#))

            // The old token still sends.
            try await Self.deliver(host, mid: "m-1", text: "still answered")
            #expect(Self.sendTokens(graph) == [FakeGraphServer.Tokens.instagramUser])

            // The next check succeeds and clears the report.
            clock.advance(by: 3600)
            #expect(await refresher.refreshDue() == ["instagram": .refreshed(expiresAt: clock.time.addingTimeInterval(TimeInterval(FakeGraphServer.refreshedLifetime)))])
            #expect(try await Self.readyzToken(host)["refresh_error"] == nil)
        } catch {
            try? await host.stop()
            try? await graph.stop()
            throw error
        }
        try await host.stop()
        try await graph.stop()
    }

    @Test("when Meta hands back the same token the refresh still counts: the next one is a day later, and the expiry is Meta's")
    func sameTokenBack() async throws {
        let graph = try await FakeGraphServer.start()
        graph.refreshWithTheSameToken()
        let clock = TestClock(Self.wholeSecond())
        let host = try await TestHost.start(yaml: Self.yaml(graph: graph), now: clock.now)
        do {
            let refresher = Self.refresher(host, clock: clock)
            let lifetime = TimeInterval(FakeGraphServer.refreshedLifetime)
            let first = clock.time
            #expect(await refresher.refreshDue() == ["instagram": .refreshed(expiresAt: first.addingTimeInterval(lifetime))])
            #expect(try await host.runtime.store.settingOverrides(channel: "instagram").isEmpty, "the same token: nothing new to save")
            clock.advance(by: 2 * 3600)
            #expect(await refresher.refreshDue() == ["instagram": .notDue])
            #expect(graph.requests(to: "/refresh_access_token").count == 1)
            let token = try await Self.readyzToken(host)
            #expect(token["expires_at"] as? String == ISO8601DateFormatter().string(from: first.addingTimeInterval(lifetime)))
            #expect(token["expiry_estimated"] as? Bool == false)
            clock.advance(by: 23 * 3600)
            #expect(await refresher.refreshDue() == ["instagram": .refreshed(expiresAt: clock.time.addingTimeInterval(lifetime))])
        } catch {
            try? await host.stop()
            try? await graph.stop()
            throw error
        }
        try await host.stop()
        try await graph.stop()
    }
}
