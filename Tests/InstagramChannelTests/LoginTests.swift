import ChannelKit
import Crypto
import Foundation
import HTTPTypes
import InstagramChannel
import MetaPlatform
import Testing

/// The two logins: which Graph host and path a channel sends to, with which token, whether
/// it refreshes, how it subscribes to webhooks, and `appsecret_proof`.
@Suite("Instagram Login and Facebook Login")
struct LoginTests {
    static let recipient = Recipient(accountID: "17841405309211844", userID: "1254459154682919")
    static let sent = #"{"recipient_id":"1254459154682919","message_id":"mid.1"}"#
    static let igToken = "IGAAlongLivedUserToken123"

    /// Settings with the login's keys only (no base URL unless given).
    static func loginSettings(_ values: [String: String]) -> ChannelSettings {
        var all = ["verify_token": TestSecrets.verifyToken, "app_secret": TestSecrets.appSecret]
        for (key, value) in values { all[key] = value }
        return ChannelSettings(all)
    }

    static func hex(hmacOf token: String, key: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(token.utf8), using: SymmetricKey(data: Data(key.utf8))).map { String(format: "%02x", $0) }.joined()
    }

    @Test("each login sends to its own Graph host on /<version>/me/messages; an empty login follows the base URL")
    func hostPerLogin() async throws {
        let cases: [([String: String], String, Bool)] = [
            (["login": "instagram", "access_token": Self.igToken], "https://graph.instagram.com/v27.0/me/messages", true),
            (["login": "facebook", "access_token": TestSecrets.accessToken], "https://graph.facebook.com/v27.0/me/messages", false),
            (["access_token": TestSecrets.accessToken], "https://graph.facebook.com/v27.0/me/messages", false),
            (["graph_api_base_url": "https://graph.instagram.com/", "access_token": Self.igToken], "https://graph.instagram.com/v27.0/me/messages", true),
        ]
        for (values, url, refreshes) in cases {
            let http = FakeTransport(body: Self.sent)
            let channel = try makeChannel(Self.loginSettings(values), http: http)
            _ = try await channel.send(OutboundMessage(text: "hi"), to: Self.recipient, logger: testLogger)
            #expect(http.requests.map(\.url) == [url], "\(values)")
            #expect(http.requests.first?.headers[.authorization] == "Bearer \(values["access_token"]!)")
            #expect((channel as? any AccessTokenRefreshing)?.refreshesAccessToken == refreshes, "\(values)")
        }
    }

    @Test("login and page_id are checked: an unknown login, a page_id with Instagram Login, a page_id that is not an id and the other login's host are refused")
    func loginSettingsChecked() throws {
        for values in [["login": "messenger"], ["login": "instagram", "page_id": "123"], ["page_id": "acme-page"],
                       ["login": "instagram", "graph_api_base_url": "https://graph.facebook.com"]] {
            #expect(throws: ChannelError.self, "\(values)") { try makeChannel(Self.loginSettings(values.merging(["access_token": "t"]) { $1 })) }
        }
    }

    @Test("appsecret_proof is the hex HMAC-SHA256 of the token keyed with the app secret, on every call when on, and absent when off")
    func appSecretProof() async throws {
        #expect(AppSecretProof.make(accessToken: "abc", appSecret: "key") == Self.hex(hmacOf: "abc", key: "key"))
        let on = FakeTransport(body: Self.sent)
        let channel = try makeChannel(Self.loginSettings(["access_token": TestSecrets.accessToken, "appsecret_proof": "true"]), http: on)
        _ = try await channel.send(OutboundMessage(text: "hi"), to: Self.recipient, logger: testLogger)
        try await channel.typing(to: Self.recipient, logger: testLogger)
        let proof = Self.hex(hmacOf: TestSecrets.accessToken, key: TestSecrets.appSecret)
        #expect(on.requests.map(\.url) == Array(repeating: "https://graph.facebook.com/v27.0/me/messages?appsecret_proof=\(proof)", count: 2))

        let off = FakeTransport(body: Self.sent)
        _ = try await makeChannel(Self.loginSettings(["access_token": TestSecrets.accessToken]), http: off)
            .send(OutboundMessage(text: "hi"), to: Self.recipient, logger: testLogger)
        #expect(off.requests.first?.url.contains("appsecret_proof") == false)
    }

    @Test("Facebook Login with page_id exchanges the configured token for the Page token once, and sends with it")
    func pageTokenExchange() async throws {
        let http = FakeTransport { request in
            let body = request.url.contains("fields=access_token") ? #"{"access_token":"EAApageToken","id":"1122"}"# : Self.sent
            return OutboundHTTPResponse(status: .ok, headers: [.contentType: "application/json"], body: Array(body.utf8))
        }
        let channel = try makeChannel(Self.loginSettings(["access_token": "EAAsystemUser", "page_id": "1122"]), http: http)
        _ = try await channel.send(OutboundMessage(text: "one"), to: Self.recipient, logger: testLogger)
        _ = try await channel.send(OutboundMessage(text: "two"), to: Self.recipient, logger: testLogger)
        #expect(http.requests.map(\.url) == ["https://graph.facebook.com/v27.0/1122?fields=access_token",
                                             "https://graph.facebook.com/v27.0/me/messages", "https://graph.facebook.com/v27.0/me/messages"])
        #expect(http.requests.map { $0.headers[.authorization] } == ["Bearer EAAsystemUser", "Bearer EAApageToken", "Bearer EAApageToken"])
    }

    @Test("Test connection refuses a user token where Facebook Login needs a Page token, and a token of the other login before calling")
    func wrongTokenAtTestConnection() async throws {
        let userToken = FakeTransport(status: .badRequest,
                                      body: #"{"error":{"message":"(#100) Tried accessing nonexisting field (category) on node type (User)","type":"OAuthException","code":100,"fbtrace_id":"A1"}}"#)
        let facebook = try makeChannel(Self.loginSettings(["login": "facebook", "access_token": TestSecrets.accessToken]), http: userToken)
        let refused = await channelError { _ = try await facebook.checkConnection(logger: testLogger) }
        #expect(refused?.code == .misconfigured)
        #expect(refused?.message.contains("not a Page access token") == true)
        #expect(userToken.requests.first?.url == "https://graph.facebook.com/v27.0/me?fields=id,name,category")

        let none = FakeTransport(body: "{}")
        let instagram = try makeChannel(Self.loginSettings(["login": "instagram", "access_token": TestSecrets.accessToken]), http: none)
        let mismatch = await channelError { _ = try await instagram.checkConnection(logger: testLogger) }
        #expect(mismatch?.code == .misconfigured)
        #expect(mismatch?.message.contains("Instagram User access token") == true)
        #expect(none.requests.isEmpty)

        let account = FakeTransport(body: #"{"user_id":"17841400000000099","username":"acme.shop"}"#)
        let check = try await makeChannel(Self.loginSettings(["login": "instagram", "access_token": Self.igToken]), http: account)
            .checkConnection(logger: testLogger)
        #expect(check == ConnectionCheck(account: "@acme.shop", accountID: "17841400000000099"))
        #expect(account.requests.first?.url == "https://graph.instagram.com/v27.0/me?fields=user_id,username")
    }

    @Test("an Instagram Login token is refreshed with GET /refresh_access_token?grant_type=ig_refresh_token, no version segment")
    func refresh() async throws {
        let http = FakeTransport(body: #"{"access_token":"IGAAnewToken","token_type":"bearer","expires_in":5183944}"#)
        let channel = try #require(try makeChannel(Self.loginSettings(["login": "instagram", "access_token": Self.igToken]), http: http)
            as? any AccessTokenRefreshing)
        #expect(try await channel.refreshAccessToken(logger: testLogger) == RefreshedAccessToken(token: "IGAAnewToken", expiresIn: 5_183_944))
        #expect(http.requests.map(\.url) == ["https://graph.instagram.com/refresh_access_token?grant_type=ig_refresh_token&access_token=\(Self.igToken)"])
        #expect(channel.accessTokenMinimumRefreshAge == 86_400 && channel.accessTokenLifetime == 60 * 86_400)
    }

    @Test("subscribed_apps: the Instagram account's id from /me on graph.instagram.com; the Page (page_id) on graph.facebook.com")
    func subscribe() async throws {
        let instagramHTTP = FakeTransport { request in
            let body = request.method == .get ? #"{"user_id":"17841400000000099","username":"acme.shop"}"# : #"{"success":true}"#
            return OutboundHTTPResponse(status: .ok, headers: [.contentType: "application/json"], body: Array(body.utf8))
        }
        let instagram = try #require(try makeChannel(Self.loginSettings(["login": "instagram", "access_token": Self.igToken]), http: instagramHTTP)
            as? any WebhookSubscribing)
        #expect(try await instagram.subscribeWebhooks(logger: testLogger)
            == WebhookSubscription(account: "17841400000000099", fields: ["messages", "messaging_postbacks"]))
        #expect(instagramHTTP.requests.last?.url
            == "https://graph.instagram.com/v27.0/17841400000000099/subscribed_apps?subscribed_fields=messages,messaging_postbacks")
        #expect(instagramHTTP.requests.last?.method == .post)

        let facebookHTTP = FakeTransport { request in
            let body = request.url.contains("fields=access_token") ? #"{"access_token":"EAApageToken"}"# : #"{"success":true}"#
            return OutboundHTTPResponse(status: .ok, headers: [.contentType: "application/json"], body: Array(body.utf8))
        }
        let facebook = try #require(try makeChannel(Self.loginSettings(["access_token": "EAAsystemUser", "page_id": "1122"]), http: facebookHTTP)
            as? any WebhookSubscribing)
        _ = try await facebook.subscribeWebhooks(logger: testLogger)
        #expect(facebookHTTP.requests.last?.url == "https://graph.facebook.com/v27.0/1122/subscribed_apps?subscribed_fields=messages,messaging_postbacks")
        #expect(facebookHTTP.requests.last?.headers[.authorization] == "Bearer EAApageToken")
    }
}
