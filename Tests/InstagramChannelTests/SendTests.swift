import ChannelKit
import HTTPTypes
import MetaPlatform
import Testing

@Suite("Send API")
struct SendTests {
    static let recipient = Recipient(accountID: "17841405309211844", userID: "1254459154682919")
    static let success = #"{"recipient_id":"1254459154682919","message_id":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx"}"#

    @Test func sendsTextWithBearerTokenAndExactBody() async throws {
        let http = FakeTransport(body: Self.success)
        let channel = try makeChannel(http: http)
        let receipt = try await channel.send(OutboundMessage(text: "Grüße \"Sandra\"\nhttps://example.com/a 🤘"), to: Self.recipient, logger: testLogger)
        #expect(receipt == SendReceipt(platformMessageID: "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx"))

        let request = try #require(http.requests.first)
        #expect(http.requests.count == 1)
        #expect(request.method == .post)
        #expect(request.url == "https://graph.facebook.com/v27.0/me/messages")
        #expect(request.headers[.authorization] == "Bearer \(TestSecrets.accessToken)")
        #expect(request.headers[.contentType] == "application/json")
        #expect(request.timeout == .seconds(15))
        #expect(request.maxResponseBytes == 64 * 1024)
        #expect(!request.url.contains(TestSecrets.accessToken))
        let body = String(decoding: try #require(request.body), as: UTF8.self)
        #expect(body == #"{"recipient":{"id":"1254459154682919"},"messaging_type":"RESPONSE","message":{"text":"Grüße \"Sandra\"\nhttps://example.com/a 🤘"}}"#)
    }

    @Test func sendsQuickReplies() async throws {
        let http = FakeTransport(body: Self.success)
        let channel = try makeChannel(http: http)
        let message = OutboundMessage(text: "Link your account?", quickReplies: [
            QuickReply(title: "Yes", payload: "LINK_YES"), QuickReply(title: "Not now", payload: "LINK_NO"),
        ])
        _ = try await channel.send(message, to: Self.recipient, logger: testLogger)
        let body = String(decoding: try #require(http.requests.first?.body), as: UTF8.self)
        #expect(body == #"{"recipient":{"id":"1254459154682919"},"messaging_type":"RESPONSE","message":{"text":"Link your account?","quick_replies":[{"content_type":"text","title":"Yes","payload":"LINK_YES"},{"content_type":"text","title":"Not now","payload":"LINK_NO"}]}}"#)
    }

    @Test func typingSendsTheSenderActionAlone() async throws {
        let http = FakeTransport(body: #"{"recipient_id":"1254459154682919"}"#)
        let channel = try makeChannel(http: http)
        try await channel.typing(to: Self.recipient, logger: testLogger)
        let request = try #require(http.requests.first)
        #expect(request.url == "https://graph.facebook.com/v27.0/me/messages")
        #expect(request.headers[.authorization] == "Bearer \(TestSecrets.accessToken)")
        #expect(String(decoding: try #require(request.body), as: UTF8.self) == #"{"recipient":{"id":"1254459154682919"},"sender_action":"typing_on"}"#)
    }

    @Test func usesConfiguredBaseURLAndVersion() async throws {
        let http = FakeTransport(body: Self.success)
        let channel = try makeChannel(settings(["graph_api_base_url": "https://graph.instagram.com/", "api_version": "v25.0"]), http: http)
        _ = try await channel.send(OutboundMessage(text: "hi"), to: Self.recipient, logger: testLogger)
        #expect(http.requests.first?.url == "https://graph.instagram.com/v25.0/me/messages")
    }

    @Test func defaultsApplyWhenSettingsAreAbsent() async throws {
        let http = FakeTransport(body: Self.success)
        let channel = try makeChannel(ChannelSettings(["access_token": "tok", "app_secret": "s", "verify_token": "v"]), http: http)
        _ = try await channel.send(OutboundMessage(text: "hi"), to: Self.recipient, logger: testLogger)
        #expect(http.requests.first?.url == "https://graph.facebook.com/v27.0/me/messages")
        #expect(channel.profile.textLimit == TextLimit(maximum: 1000, unit: .utf8Bytes))
    }

    @Test func successWithoutMessageIDGivesAnEmptyReceipt() async throws {
        let channel = try makeChannel(http: FakeTransport(body: "{}"))
        let receipt = try await channel.send(OutboundMessage(text: "hi"), to: Self.recipient, logger: testLogger)
        #expect(receipt.platformMessageID == nil)
    }

    @Test func outsideTheWindowIsPermanent() async throws {
        let body = #"{"error":{"message":"(#10) This message is sent outside of allowed window.","type":"OAuthException","code":10,"error_subcode":2534022,"fbtrace_id":"A1b2"}}"#
        let channel = try makeChannel(http: FakeTransport(status: .badRequest, body: body))
        let error = await channelError { _ = try await channel.send(OutboundMessage(text: "late"), to: Self.recipient, logger: testLogger) }
        #expect(error?.code == .permanent)
        #expect(error?.platformCode == 10)
        #expect(error?.platformSubcode == 2534022)
        #expect(error?.message.contains("late") == false)
    }

    @Test func invalidTokenIsUnauthorizedAndNeverEchoed() async throws {
        let body = #"{"error":{"message":"Invalid OAuth access token - Cannot parse access token \#(TestSecrets.accessToken)","type":"OAuthException","code":190,"fbtrace_id":"A1b2"}}"#
        let channel = try makeChannel(http: FakeTransport(status: .unauthorized, body: body))
        let error = await channelError { try await channel.typing(to: Self.recipient, logger: testLogger) }
        #expect(error?.code == .unauthorized)
        #expect(error?.platformCode == 190)
        #expect(error.map { $0.description.contains(TestSecrets.accessToken) } == false)
    }

    @Test func throttlingIsTransientWithRetryAfter() async throws {
        let body = #"{"error":{"message":"Calls to this api have exceeded the rate limit.","type":"OAuthException","code":613,"error_subcode":2534040}}"#
        let channel = try makeChannel(http: FakeTransport(status: .tooManyRequests, body: body, headers: [.retryAfter: "7"]))
        let error = await channelError { _ = try await channel.send(OutboundMessage(text: "x"), to: Self.recipient, logger: testLogger) }
        #expect(error?.code == .transient)
        #expect(error?.retryAfter == .seconds(7))
    }

    @Test func timeoutIsTransient() async throws {
        let channel = try makeChannel(http: FakeTransport(throwing: HTTPTransportError(.timeout, "no answer in 15 s")))
        let error = await channelError { _ = try await channel.send(OutboundMessage(text: "x"), to: Self.recipient, logger: testLogger) }
        #expect(error?.code == .transient)
    }

    @Test func missingAccessTokenIsMisconfiguredWithoutACall() async throws {
        let http = FakeTransport(body: Self.success)
        let channel = try makeChannel(settings(["access_token": ""]), http: http)
        let error = await channelError { _ = try await channel.send(OutboundMessage(text: "x"), to: Self.recipient, logger: testLogger) }
        #expect(error?.code == .misconfigured)
        #expect(http.requests.isEmpty)
    }
}
