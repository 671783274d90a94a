import ChannelKit
import ChannelRendering
import Foundation
import MetaPlatform
import Testing
import WhatsAppChannel

@Suite("WhatsApp sending")
struct SendTests {
    static let success = #"{"messaging_product":"whatsapp","contacts":[{"input":"16505551234","wa_id":"16505551234"}],"messages":[{"id":"wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA"}]}"#

    @Test("a text goes to /<phone-number-id>/messages with the bearer token and the Cloud API body")
    func text() async throws {
        let http = FakeTransport(body: Self.success)
        let channel = try makeChannel(http: http)
        let receipt = try await channel.send(OutboundMessage(text: "*Hello* there"), to: Recipient(accountID: TestSecrets.phoneNumberID, userID: "16505551234"), logger: testLogger)
        #expect(receipt.platformMessageID == "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA")
        let request = try #require(http.requests.first)
        #expect(request.url == "https://graph.facebook.com/v27.0/\(TestSecrets.phoneNumberID)/messages")
        #expect(request.headers[.authorization] == "Bearer \(TestSecrets.accessToken)")
        let body = try MetaJSON.decode(try #require(request.body))
        #expect(body == ["messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505551234", "type": "text",
                         "text": ["preview_url": false, "body": "*Hello* there"]])
    }

    @Test("with appsecret_proof: true the send carries the hex HMAC-SHA256 of the token keyed with the app secret; not otherwise")
    func appSecretProof() async throws {
        let recipient = Recipient(accountID: TestSecrets.phoneNumberID, userID: "16505551234")
        let on = FakeTransport(body: Self.success)
        _ = try await makeChannel(settings(["appsecret_proof": "true"]), http: on).send(OutboundMessage(text: "hi"), to: recipient, logger: testLogger)
        let proof = MetaSignature.sign(body: Array(TestSecrets.accessToken.utf8), secret: TestSecrets.appSecret).dropFirst(MetaSignature.prefix.count)
        #expect(on.requests.first?.url == "https://graph.facebook.com/v27.0/\(TestSecrets.phoneNumberID)/messages?appsecret_proof=\(proof)")
        let off = FakeTransport(body: Self.success)
        _ = try await makeChannel(http: off).send(OutboundMessage(text: "hi"), to: recipient, logger: testLogger)
        #expect(off.requests.first?.url.contains("appsecret_proof") == false)
    }

    @Test("quick replies become reply buttons when the text fits an interactive body, and are left out otherwise")
    func buttons() async throws {
        let http = FakeTransport(body: Self.success)
        let channel = try makeChannel(http: http)
        let recipient = Recipient(accountID: TestSecrets.phoneNumberID, userID: "16505551234")
        let replies = [QuickReply(title: "Yes", payload: "y"), QuickReply(title: "No", payload: "n")]
        _ = try await channel.send(OutboundMessage(text: "Shall I?", quickReplies: replies), to: recipient, logger: testLogger)
        _ = try await channel.send(OutboundMessage(text: String(repeating: "long ", count: 300), quickReplies: replies), to: recipient, logger: testLogger)
        let first = try MetaJSON.decode(try #require(http.requests[0].body))
        #expect(first["type"] == "interactive")
        #expect(first["interactive"] == ["type": "button", "body": ["text": "Shall I?"], "action": ["buttons": [
            ["type": "reply", "reply": ["id": "y", "title": "Yes"]], ["type": "reply", "reply": ["id": "n", "title": "No"]],
        ]]])
        let second = try MetaJSON.decode(try #require(http.requests[1].body))
        #expect(second["type"] == "text")
        // 100 family emoji: 100 characters, but 1,100 UTF-16 units, over the interactive body's 1024.
        _ = try await channel.send(OutboundMessage(text: String(repeating: "👨‍👩‍👧‍👦", count: 100), quickReplies: replies), to: recipient, logger: testLogger)
        let third = try MetaJSON.decode(try #require(http.requests[2].body))
        #expect(third["type"] == "text", "the body is counted as Graph counts it")
    }

    @Test("acknowledging marks the message read and shows the typing indicator, from the number it was sent to")
    func acknowledge() async throws {
        let http = FakeTransport(body: #"{"success":true}"#)
        let channel = try makeChannel(settings(["phone_number_id": ""]), http: http)
        let event = InboundEvent(channel: "whatsapp", accountID: "777000111", senderID: "16505551234", platformMessageID: "wamid.in1",
                                 timestamp: Date(), kind: .message(InboundMessage(text: "hi")))
        try await channel.acknowledge(event, logger: testLogger)
        let request = try #require(http.requests.first)
        #expect(request.url == "https://graph.facebook.com/v27.0/777000111/messages")
        #expect(try MetaJSON.decode(try #require(request.body)) == ["messaging_product": "whatsapp", "status": "read", "message_id": "wamid.in1", "typing_indicator": ["type": "text"]])
        #expect(channel.profile.supportsTypingIndicator)
        // A status is never acknowledged.
        let status = InboundEvent(channel: "whatsapp", accountID: "777000111", senderID: "1", platformMessageID: "status:x:read",
                                  timestamp: Date(), kind: .ignored(IgnoredEvent(reason: .status)))
        try await channel.acknowledge(status, logger: testLogger)
        #expect(http.requests.count == 1)
    }

    @Test("Cloud API errors are classified: throughput passes, a bad recipient does not, a refused token pauses")
    func errors() async throws {
        func failure(_ status: HTTPResponse.Status, _ code: Int) async throws -> ChannelError? {
            let body = #"{"error":{"message":"m","type":"OAuthException","code":\#(code),"error_data":{"messaging_product":"whatsapp","details":"d"},"fbtrace_id":"t"}}"#
            let channel = try makeChannel(http: FakeTransport(status: status, body: body))
            return await channelError {
                _ = try await channel.send(OutboundMessage(text: "x"), to: Recipient(accountID: TestSecrets.phoneNumberID, userID: "1"), logger: testLogger)
            }
        }
        #expect(try await failure(.badRequest, 130429)?.code == .transient)
        #expect(try await failure(.badRequest, 131056)?.code == .transient)
        #expect(try await failure(.badRequest, 131030)?.code == .permanent)
        #expect(try await failure(.badRequest, 100)?.code == .permanent)
        #expect(try await failure(.badRequest, 100)?.isInvalidParameter == true, "what a text over the limit gets")
        #expect(try await failure(.badRequest, 131009)?.isInvalidParameter == true)
        #expect(try await failure(.badRequest, 131030)?.isInvalidParameter == false)
        #expect(try await failure(.unauthorized, 190)?.code == .unauthorized)
        #expect(try await failure(.serviceUnavailable, 131016)?.code == .transient)
        let error = try await failure(.badRequest, 131047)
        #expect(error?.platformCode == 131047)
        #expect(error.map { !$0.description.contains(TestSecrets.accessToken) } == true)
    }

    @Test("the profile: WhatsApp dialect, 4096 counted in code points and UTF-16 units, 3 buttons of 20")
    func profile() throws {
        let profile = try makeChannel().profile
        #expect(profile.formatting == .whatsapp)
        #expect(profile.textLimit == TextLimit(maximum: 4096, units: [.unicodeScalars, .utf16CodeUnits]))
        #expect(!profile.textLimit.fits(String(repeating: "👨‍👩‍👧‍👦", count: 400)), "400 characters, but 4,400 UTF-16 units")
        #expect(profile.quickReplies == QuickReplyLimits(maximumCount: 3, maximumTitleLength: 20))
        let rendered = MarkdownRenderer().render("**bold** *it* ~~gone~~ `code`", for: profile)
        #expect(rendered == ["*bold* _it_ ~gone~ ```code```"])
    }
}
