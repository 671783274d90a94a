import ChannelKit
import Foundation
import MetaPlatform
import Testing
import WhatsAppChannel

@Suite("WhatsApp reply window")
struct ReplyWindowTests {
    @Test("the profile states the 24-hour window and the configured template; none configured, nothing goes outside it")
    func profile() throws {
        let plain = try makeChannel()
        #expect(plain.profile.replyWindow == ReplyWindow(length: .seconds(86_400), outside: .nothing))
        let configured = try makeChannel(settings(["reengagement_template": "sandra_followup", "reengagement_template_parameters": "Ana | 2 replies"]))
        #expect(configured.profile.replyWindow?.outside == .template(MessageTemplate(name: "sandra_followup", language: "en_US",
                                                                                       parameters: ["Ana", "2 replies"])))
    }

    @Test("a template goes as type template with its name, language and body parameters")
    func templateBody() async throws {
        let http = FakeTransport(body: SendTests.success)
        let template = MessageTemplate(name: "sandra_followup", language: "pt_BR", parameters: ["Ana"])
        _ = try await makeChannel(http: http).send(OutboundMessage(text: "", template: template),
                                                   to: Recipient(accountID: TestSecrets.phoneNumberID, userID: "16505551234"), logger: testLogger)
        let body = try MetaJSON.decode(try #require(http.requests.first?.body))
        #expect(body == ["messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505551234", "type": "template",
                         "template": ["name": "sandra_followup", "language": ["code": "pt_BR"],
                                      "components": [["type": "body", "parameters": [["type": "text", "text": "Ana"]]]]]])
    }

    @Test("only a failed status with 131047 names a message refused outside the window")
    func refusal() throws {
        let channel = try makeChannel()
        func status(_ detail: String?, reason: IgnoredEvent.Reason = .status) -> InboundEvent {
            InboundEvent(channel: "whatsapp", accountID: TestSecrets.phoneNumberID, senderID: "16505551234", platformMessageID: "status:wamid.1:failed",
                         timestamp: Date(), kind: .ignored(IgnoredEvent(reason: reason, targetMessageID: "wamid.1", detail: detail)))
        }
        #expect(channel.windowRefusal(in: status("failed 131047")) == "wamid.1")
        #expect(channel.windowRefusal(in: status("failed 131026")) == nil)
        #expect(channel.windowRefusal(in: status("delivered")) == nil)
        #expect(channel.windowRefusal(in: status("failed 131047", reason: .echo)) == nil)
    }
}
