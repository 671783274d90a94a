import ChannelKit
import ChannelKitTesting
import ChannelRendering
import HTTPTypes
import Logging
import MessengerChannel
import MetaPlatform
import Synchronization
import Testing

/// What the channel sends: the Send API on the Page's `/messages`, and its profile.
@Suite("Messenger send and profile")
struct MessengerSendTests {
    static let logger = Logger(label: "messenger-tests", factory: { _ in SwiftLogNoOpLogHandler() })
    static let recipient = Recipient(accountID: Page.id, userID: "6743128539012345")

    private func sent(_ send: (any Channel) async throws -> Void, settings: ChannelSettings = Page.settings()) async throws -> [OutboundHTTPRequest] {
        let api = FakePlatformAPI(subject: MessengerSubject())
        try await send(try Page.channel(settings, http: api))
        return api.requests
    }

    @Test("a reply: POST /v27.0/<page-id>/messages with the Page token, RESPONSE, the text and its quick replies; the message_id comes back")
    func messageBody() async throws {
        let api = FakePlatformAPI(subject: MessengerSubject())
        let message = OutboundMessage(text: "Which one?", quickReplies: [QuickReply(title: "Hours", payload: "HOURS"), QuickReply(title: "Menu", payload: "MENU")])
        let receipt = try await Page.channel(http: api).send(message, to: Self.recipient, logger: Self.logger)
        let request = try #require(api.requests.first)
        #expect(api.requests.count == 1)
        #expect(request.method == .post)
        #expect(request.url == "https://graph.facebook.com/v27.0/\(Page.id)/messages")
        #expect(request.headers[.authorization] == "Bearer \(Page.accessToken)")
        let body = try MetaJSON.decode(try #require(request.body))
        #expect(body == [
            "recipient": ["id": "6743128539012345"], "messaging_type": "RESPONSE",
            "message": ["text": "Which one?", "quick_replies": [
                ["content_type": "text", "title": "Hours", "payload": "HOURS"],
                ["content_type": "text", "title": "Menu", "payload": "MENU"],
            ]],
        ])
        #expect(receipt.platformMessageID != nil)
    }

    @Test("without a page_id replies go to /me/messages, the Page of the token")
    func mePath() async throws {
        let requests = try await sent({ _ = try await $0.send(OutboundMessage(text: "Hi"), to: Self.recipient, logger: Self.logger) },
                                      settings: Page.settings(["page_id": ""]))
        #expect(requests.map(\.url) == ["https://graph.facebook.com/v27.0/me/messages"])
    }

    @Test("the typing indicator: the recipient and sender_action typing_on, nothing else")
    func typing() async throws {
        let requests = try await sent { try await $0.typing(to: Self.recipient, logger: Self.logger) }
        let body = try MetaJSON.decode(try #require(requests.first?.body))
        #expect(body == ["recipient": ["id": "6743128539012345"], "sender_action": "typing_on"])
    }

    @Test("a refused send is the platform's error: code 10 outside the window is permanent, code 2 transient")
    func errors() async throws {
        let api = FakePlatformAPI(subject: MessengerSubject())
        let channel = try Page.channel(http: api)
        api.failNextSends([.permanentFailure, .transientFailure])
        for expected in [ChannelError.Code.permanent, .transient] {
            do {
                _ = try await channel.send(OutboundMessage(text: "late"), to: Self.recipient, logger: Self.logger)
                Issue.record("the send must fail")
            } catch let error as ChannelError {
                #expect(error.code == expected)
            }
        }
    }

    @Test("the profile: plain text (no Markdown), 2000 characters in code points and UTF-16 units, typing, 13 quick replies of 20")
    func profile() throws {
        let channel = try Page.channel()
        #expect(channel.profile == MessengerChannel.profile())
        #expect(channel.profile.formatting == .plain)
        #expect(channel.profile.textLimit == TextLimit(maximum: 2000, units: [.unicodeScalars, .utf16CodeUnits]))
        #expect(channel.profile.supportsTypingIndicator)
        #expect(channel.profile.quickReplies == QuickReplyLimits(maximumCount: 13, maximumTitleLength: 20))
        #expect(try Page.channel(Page.settings(["max_message_characters": "640"])).profile.textLimit.maximum == 640)
    }

    @Test("a long reply is split into parts of at most 2000 UTF-16 units and code points, and nothing is lost; Markdown is written as plain text")
    func splitting() throws {
        let profile = try Page.channel().profile
        let paragraph = String(repeating: "Sandra answers 👨‍👩‍👧 every question with care. ", count: 20)
        let markdown = "**Opening hours**\n\n" + Array(repeating: paragraph, count: 4).joined(separator: "\n\n")
        let parts = MarkdownRenderer().render(markdown, for: profile)
        #expect(parts.count > 1)
        #expect(parts.allSatisfy { $0.utf16.count <= 2000 && $0.unicodeScalars.count <= 2000 })
        #expect(!parts.joined().contains("**"))
        let words = { (text: String) in text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        #expect(words(parts.joined(separator: " ")) == words("Opening hours " + Array(repeating: paragraph, count: 4).joined(separator: " ")))
    }

    @Test("settings: the contract's keys and secrets; a non-numeric page_id or a non-positive limit is misconfigured; sandbox mode talks to the emulator with the development credentials")
    func factory() throws {
        let factory = MessengerChannelFactory()
        #expect(factory.type == "messenger")
        #expect(factory.displayName == "Messenger")
        #expect(factory.settingFields.map(\.key) == ["access_token", "page_id", "verify_token", "app_secret", "app_id", "api_version",
                                                     "graph_api_base_url", "appsecret_proof", "max_message_characters", "human_agent_tag"])
        #expect(factory.settingFields.filter(\.isSecret).map(\.key) == ["access_token", "verify_token", "app_secret"])
        #expect(factory.settingFields.allSatisfy { !$0.help.isEmpty })
        for settings in [Page.settings(["page_id": "my page"]), Page.settings(["max_message_characters": "0"])] {
            do {
                _ = try Page.channel(settings, sandboxMode: false)
                Issue.record("must be refused")
            } catch let error as ChannelError {
                #expect(error.code == .misconfigured)
            }
        }
        var registry = ChannelRegistry()
        registry.register(.messenger)
        #expect(registry.types == ["messenger"])
    }

    @Test("sandbox mode: the development secret signs deliveries and the Send API is the local emulator's, with the development token")
    func sandboxMode() async throws {
        let graph = PageMe(pageID: Page.id)
        let channel = try Page.channel(ChannelSettings(["page_id": Page.id]), http: graph, sandboxMode: true)
        let body = Page.webhook([[Page.item("6743128539012345", 1_760_000_000_500, "message", #"{"mid":"m_1","text":"hi"}"#)]])
        let outcome = try channel.handle(Page.signed(body, secret: MetaGraphSettings.SandboxCredentials.appSecret), logger: Self.logger)
        guard case .events(let events) = outcome else {
            Issue.record("a delivery signed with the development secret must be taken in sandbox mode, got \(outcome)")
            return
        }
        #expect(events.count == 1)
        #expect(throws: ChannelError.self) { try channel.handle(Page.signed(body), logger: Self.logger) }
        _ = try await channel.send(OutboundMessage(text: "hello"), to: Self.recipient, logger: Self.logger)
        let sent = try #require(graph.requests.last)
        #expect(sent.url == "http://127.0.0.1:8080/sandbox/messenger/graph/v27.0/\(Page.id)/messages")
        #expect(sent.headers[.authorization] == "Bearer \(MetaGraphSettings.SandboxCredentials.accessToken)")
    }

    @Test("a part over the limit is still sent, and the warning gives its length in each unit under the field names operators query, never the text")
    func overLimitWarning() {
        let capture = LogCapture()
        let text = String(repeating: "𝐱", count: 1500)   // 1,500 code points, 3,000 UTF-16 units
        MetaGraphSettings.warnIfOverLimit(text, profile: MessengerChannel.profile(maxMessageCharacters: 2000), channelType: "messenger",
                                          logger: capture.logger(label: "over-limit"))
        #expect(capture.text.contains("code_points=1500") && capture.text.contains("utf16_units=3000") && capture.text.contains("limit=2000"),
                "\(capture.text)")
        #expect(!capture.text.contains("𝐱"))
    }

    /// Graph answering `GET me` as a Page access token's Page.
    final class PageMe: HTTPTransport {
        let pageID: String
        private let recorded = Mutex<[OutboundHTTPRequest]>([])
        /// The requests made so far.
        var requests: [OutboundHTTPRequest] { recorded.withLock { $0 } }

        init(pageID: String) { self.pageID = pageID }

        func execute(_ request: OutboundHTTPRequest) async throws -> OutboundHTTPResponse {
            recorded.withLock { $0.append(request) }
            return OutboundHTTPResponse(status: .ok, headers: [.contentType: "application/json"],
                                 body: Array(#"{"id":"\#(pageID)","name":"Acme Shop"}"#.utf8))
        }
    }

    @Test("Test connection reads the token's Page with GET me, and refuses another Page's token when page_id is set")
    func connectionCheck() async throws {
        let check = try await Page.channel(http: PageMe(pageID: Page.id)).checkConnection(logger: Self.logger)
        #expect(check?.accountID == Page.id)
        do {
            _ = try await Page.channel(http: PageMe(pageID: "999999")).checkConnection(logger: Self.logger)
            Issue.record("another Page's token must be refused")
        } catch let error as ChannelError {
            #expect(error.code == .misconfigured)
            #expect(error.message.contains("page_id is \(Page.id)"))
        }
        let unpinned = try await Page.channel(Page.settings(["page_id": ""]), http: PageMe(pageID: "999999")).checkConnection(logger: Self.logger)
        #expect(unpinned?.accountID == "999999")
    }
}
