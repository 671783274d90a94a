import ChannelKit
import InstagramChannel
import Testing

@Suite("Factory and profile")
struct FactoryTests {
    @Test func registersAsInstagram() {
        var registry = ChannelRegistry()
        registry.register(.instagram)
        #expect(registry.types == ["instagram"])
        #expect(registry.factory(forType: "instagram") is InstagramChannelFactory)
    }

    @Test func settingFieldsAreTheContract() {
        let fields = InstagramChannelFactory().settingFields
        #expect(fields.map(\.key) == ["login", "access_token", "page_id", "verify_token", "app_secret", "app_id", "appsecret_proof", "api_version",
                                      "graph_api_base_url", "max_message_bytes", "story_mention_reply", "human_agent_tag"])
        #expect(fields.map(\.label) == ["Login", "Access Token", "Page ID", "Verify Token", "App Secret", "App ID", "App Secret Proof", "API Version",
                                        "Graph API Base URL", "Max Message Bytes", "Story Mention Reply", "Human Agent Tag"])
        #expect(fields.filter(\.isSecret).map(\.key) == ["access_token", "verify_token", "app_secret"])
        let byKey = Dictionary(uniqueKeysWithValues: fields.map { ($0.key, $0) })
        #expect(byKey["api_version"]?.defaultValue == "v27.0")
        #expect(byKey["graph_api_base_url"]?.kind == .url)
        #expect(byKey["graph_api_base_url"]?.defaultValue == nil, "empty: the login's host")
        #expect(byKey["appsecret_proof"]?.kind == .boolean)
        #expect(byKey["appsecret_proof"]?.defaultValue == "false")
        #expect(byKey["max_message_bytes"]?.kind == .integer)
        #expect(byKey["max_message_bytes"]?.defaultValue == "1000")
        #expect(fields.allSatisfy { !$0.help.isEmpty })
    }

    @Test func profile() throws {
        let channel = try makeChannel(settings(["max_message_bytes": "640"]))
        #expect(channel.name == "instagram")
        #expect(channel.profile == ChannelProfile(
            formatting: .plain,
            textLimit: TextLimit(maximum: 640, unit: .utf8Bytes),
            supportsTypingIndicator: true,
            quickReplies: QuickReplyLimits(maximumCount: 13, maximumTitleLength: 20),
            supportsImages: true,
            allowedMediaHosts: ["lookaside.fbsbx.com", "*.fbcdn.net", "*.cdninstagram.com"],
            replyWindow: ReplyWindow(length: .seconds(86_400), outside: .nothing)
        ))
        let tagged = try makeChannel(settings(["human_agent_tag": "true"]))
        #expect(tagged.profile.replyWindow == ReplyWindow(outside: .tagged(tag: "HUMAN_AGENT", until: .seconds(7 * 86_400))))
    }

    @Test(arguments: [
        ["max_message_bytes": "0"],
        ["max_message_bytes": "-5"],
        ["graph_api_base_url": "ftp://graph.facebook.com"],
        ["api_version": "v27.0/../x"],
    ])
    func badSettingsAreMisconfigured(_ overrides: [String: String]) {
        let error = channelError { _ = try makeChannel(settings(overrides)) }
        #expect(error?.code == .misconfigured)
    }

    @Test func missingSecretsDoNotFailCreation() throws {
        let channel = try makeChannel(ChannelSettings([:]))
        let error = channelError { _ = try channel.handle(signedDelivery(#"{"object":"instagram","entry":[]}"#, secret: ""), logger: testLogger) }
        #expect(error?.code == .forbidden)
    }

    @Test func sandboxModeUsesDevelopmentSecretsWhenNoneAreConfigured() throws {
        let channel = try makeChannel(ChannelSettings([:]), sandboxMode: true)
        let body = #"{"object":"instagram","entry":[]}"#
        #expect(try channel.handle(signedDelivery(body, secret: "sandbox-app-secret"), logger: testLogger) == .events([]))
        let query = ["hub.mode": "subscribe", "hub.verify_token": "sandbox-verify-token", "hub.challenge": "42"]
        #expect(try channel.handle(WebhookRequest(method: .get, query: query), logger: testLogger) == .verified(challenge: "42"))
    }

    @Test func sandboxModeSendsToTheEmulator() async throws {
        let http = FakeTransport(body: #"{"recipient_id":"1","message_id":"sandbox.out.1"}"#)
        let channel = try makeChannel(ChannelSettings([:]), http: http, sandboxMode: true, name: "ig-test")
        _ = try await channel.send(OutboundMessage(text: "hi"), to: Recipient(accountID: "a", userID: "1"), logger: testLogger)
        #expect(http.requests.first?.url == "http://127.0.0.1:8080/sandbox/ig-test/graph/v27.0/me/messages")
        #expect(http.requests.first?.headers[.authorization] == "Bearer sandbox-access-token")
    }
}
