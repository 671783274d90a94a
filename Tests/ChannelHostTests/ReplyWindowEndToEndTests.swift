import ChannelKit
import Foundation
import MetaPlatform
import Testing
@testable import ChannelHost

/// Replies due after the person's reply window closed, through the real host: WhatsApp sends
/// the configured template and holds the reply until the person writes again; a `failed`
/// status with 131047 holds the refused part the same way; Messenger tags replies
/// `HUMAN_AGENT` up to 7 days when the app may, and sends nothing otherwise. Messages carry
/// platform timestamps in the past; nothing sleeps.
@Suite("Reply window end to end", .serialized)
struct ReplyWindowEndToEndTests {
    typealias E2E = WhatsAppEndToEndTests

    static let templateChannel = E2E.whatsappChannel() + """

            reengagement_template: sandra_followup
            reengagement_template_language: pt_BR
            reengagement_template_parameters: Sandra | your answer is ready
        """

    /// Every call the WhatsApp emulator received, as JSON.
    static func calls(_ host: TestHost) async throws -> [[String: Any]] {
        let reply = try await TestHTTP.get("\(host.baseURL)/sandbox/whatsapp/api/outbox")
        #expect(reply.status == 200)
        return try #require(try reply.json() as? [[String: Any]])
    }

    static func texts(_ calls: [[String: Any]]) -> [String] {
        calls.filter { $0["type"] as? String == "text" }.compactMap { $0["text"] as? String }
    }

    static func templates(_ calls: [[String: Any]]) -> [[String: Any]] {
        calls.filter { $0["type"] as? String == "template" }
    }

    static func message(_ sender: String, _ id: String, _ text: String, hoursAgo: Int64 = 0) -> [UInt8] {
        WhatsAppFixtures.body([WhatsAppFixtures.Message(sender: sender, id: id, text: text,
                                                        timestamp: Int64(Date().timeIntervalSince1970) - hoursAgo * 3600)])
    }

    @Test("a WhatsApp reply due 30 hours after the person wrote goes as the template; their next message gets the held reply, then its own")
    func templateThenHeldReply() async throws {
        try await withHost(yaml: E2E.yaml(channels: Self.templateChannel)) { host in
            #expect(try await E2E.post(host, body: Self.message("15551239001", "wamid.old.1", "where is my order?", hoursAgo: 30)).status == 200)
            await host.waitUntilIdle()
            var calls = try await Self.calls(host)
            #expect(Self.texts(calls).isEmpty, "no free-form message into a closed window")
            let templates = Self.templates(calls)
            #expect(templates.count == 1)
            let template = try #require(templates.first?["template"] as? [String: Any])
            #expect(template["name"] as? String == "sandra_followup")
            #expect((template["language"] as? [String: Any])?["code"] as? String == "pt_BR")
            let components = try #require(template["components"] as? [[String: Any]])
            let parameters = (components.first?["parameters"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
            #expect(components.first?["type"] as? String == "body" && parameters == ["Sandra", "your answer is ready"])
            #expect(templates.first?["recipient"] as? String == "15551239001")
            let held = try await host.runtime.store.items(in: [.done], limit: 10)
            #expect(held.map(\.event.platformMessageID) == ["wamid.old.1"], "the message is answered; its reply is held")
            let heldParts = try await host.runtime.store.parts(for: try #require(held.first).id)
            #expect(!heldParts.isEmpty && heldParts.allSatisfy { $0.state == .pending })

            // The person answers the template: the held reply first, then the new answer, each once.
            #expect(try await E2E.post(host, body: Self.message("15551239001", "wamid.new.1", "hello again")).status == 200)
            await host.waitUntilIdle()
            calls = try await Self.calls(host)
            let texts = Self.texts(calls)
            #expect(texts.count == 2)
            #expect(texts.first?.contains("where is my order?") == true, "the held reply goes first")
            #expect(texts.last?.contains("hello again") == true)
            #expect(Self.templates(calls).count == 1, "no second template")
            #expect(try await host.runtime.store.parts(for: try #require(held.first).id).allSatisfy { $0.state == .sent })

            // Nothing is held any more: a third message gets only its own answer.
            #expect(try await E2E.post(host, body: Self.message("15551239001", "wamid.new.2", "thanks")).status == 200)
            await host.waitUntilIdle()
            let after = Self.texts(try await Self.calls(host))
            #expect(after.count == 3 && after.last?.contains("thanks") == true)
        }
    }

    @Test("failed statuses with 131047 hold the refused replies: one template, no blind retry, the replies go again once the person writes")
    func refusedStatusHoldsReply() async throws {
        try await withHost(yaml: E2E.yaml(channels: Self.templateChannel)) { host in
            let minuteAgo = Int64(Date().timeIntervalSince1970) - 60
            let body = WhatsAppFixtures.body([
                WhatsAppFixtures.Message(sender: "15551239002", id: "wamid.r.1", text: "first question", timestamp: minuteAgo),
                WhatsAppFixtures.Message(sender: "15551239002", id: "wamid.r.2", text: "second question", timestamp: minuteAgo + 1),
            ])
            #expect(try await E2E.post(host, body: body).status == 200)
            await host.waitUntilIdle()
            let sent = try await Self.calls(host).filter { $0["type"] as? String == "text" }
            #expect(sent.count == 2)
            let ids = sent.compactMap { $0["message_id"] as? String }
            #expect(ids.count == 2)

            // WhatsApp refuses both asynchronously (the emulator's failed status carries 131047).
            for id in ids {
                let status = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/whatsapp/api/status", headers: ["Content-Type": "application/json"],
                                                        body: Array(#"{"user":"15551239002","message_id":"\#(id)","status":"failed"}"#.utf8))
                #expect(status.status == 200)
            }
            await host.waitUntilIdle()
            var calls = try await Self.calls(host)
            #expect(Self.templates(calls).count == 1, "one template for the closed window, not one per refused part")
            #expect(Self.texts(calls).count == 2, "nothing retried blindly")

            #expect(try await E2E.post(host, body: Self.message("15551239002", "wamid.r.3", "are you there?")).status == 200)
            await host.waitUntilIdle()
            calls = try await Self.calls(host)
            let texts = Self.texts(calls)
            #expect(texts.count == 5)
            #expect(texts.dropFirst(2).first?.contains("first question") == true)
            #expect(texts.dropFirst(3).first?.contains("second question") == true)
            #expect(texts.last?.contains("are you there?") == true)
        }
    }

    @Test("without a template, a WhatsApp reply due outside the window is not sent and the message says why")
    func noTemplateNotSent() async throws {
        try await withHost(yaml: E2E.yaml()) { host in
            #expect(try await E2E.post(host, body: Self.message("15551239003", "wamid.late.1", "hi", hoursAgo: 25)).status == 200)
            await host.waitUntilIdle()
            let calls = try await Self.calls(host)
            #expect(Self.texts(calls).isEmpty && Self.templates(calls).isEmpty)
            let dead = try await host.runtime.store.items(in: [.dead], limit: 10)
            #expect(dead.map(\.event.platformMessageID) == ["wamid.late.1"])
            #expect(dead.first?.lastError?.contains("24-hour reply window had closed") == true)
            #expect(dead.first?.attempts == 1, "refused once, not retried")
        }
    }

    // MARK: - Messenger: the HUMAN_AGENT tag

    static func messengerYAML(humanAgentTag: Bool?) -> (FakeGraphServer) -> String {
        { graph in
            MessengerEndToEndTests.yaml(graph: graph) + (humanAgentTag.map { "\n    human_agent_tag: \($0)" } ?? "")
        }
    }

    static func messengerBody(mid: String, text: String, hoursAgo: Int64) -> [UInt8] {
        let millis = Int64(Date().timeIntervalSince1970 * 1000) - hoursAgo * 3_600_000
        let page = FakeGraphServer.Tokens.pageID
        let json = #"{"object":"page","entry":[{"id":"\#(page)","time":\#(millis),"messaging":[{"sender":{"id":"\#(MessengerEndToEndTests.psid)"},"#
            + #""recipient":{"id":"\#(page)"},"timestamp":\#(millis),"message":{"mid":"\#(mid)","text":"\#(text)"}}]}]}"#
        return Array(json.utf8)
    }

    @Test("Messenger with human_agent_tag: a reply 30 hours on goes tagged HUMAN_AGENT; 8 days on it is not sent; a fresh one goes as a response")
    func messengerHumanAgentTag() async throws {
        try await FakeGraphServer.withHost(yaml: Self.messengerYAML(humanAgentTag: true)) { graph, host in
            #expect(try await MessengerEndToEndTests.post(host, Self.messengerBody(mid: "m_ha_1", text: "late one", hoursAgo: 30)).status == 200)
            await host.waitUntilIdle()
            var sent = try MessengerEndToEndTests.sent(graph).filter { $0["message"] != nil }
            #expect(sent.count == 1)
            #expect(sent.first?["messaging_type"] as? String == "MESSAGE_TAG" && sent.first?["tag"] as? String == "HUMAN_AGENT")

            #expect(try await MessengerEndToEndTests.post(host, Self.messengerBody(mid: "m_ha_0", text: "ancient", hoursAgo: 8 * 24)).status == 200)
            await host.waitUntilIdle()
            #expect(try MessengerEndToEndTests.sent(graph).filter { $0["message"] != nil }.count == 1, "past 7 days nothing is sent")
            let dead = try await host.runtime.store.items(in: [.dead], limit: 10)
            #expect(dead.first?.lastError?.contains("HUMAN_AGENT tag's window") == true)

            #expect(try await MessengerEndToEndTests.post(host, Self.messengerBody(mid: "m_ha_2", text: "fresh", hoursAgo: 0)).status == 200)
            await host.waitUntilIdle()
            sent = try MessengerEndToEndTests.sent(graph).filter { $0["message"] != nil }
            #expect(sent.count == 2)
            #expect(sent.last?["messaging_type"] as? String == "RESPONSE" && sent.last?["tag"] == nil)
        }
    }

    @Test("Messenger without human_agent_tag: a reply 30 hours on is not sent, and the message says why")
    func messengerWithoutPermission() async throws {
        try await FakeGraphServer.withHost(yaml: Self.messengerYAML(humanAgentTag: nil)) { graph, host in
            #expect(try await MessengerEndToEndTests.post(host, Self.messengerBody(mid: "m_nh_1", text: "late one", hoursAgo: 30)).status == 200)
            await host.waitUntilIdle()
            #expect(try MessengerEndToEndTests.sent(graph).filter { $0["message"] != nil }.isEmpty)
            let dead = try await host.runtime.store.items(in: [.dead], limit: 10)
            #expect(dead.map(\.event.platformMessageID) == ["m_nh_1"])
            #expect(dead.first?.lastError?.contains("reply window had closed") == true)
        }
    }

    // MARK: - Configuration

    @Test("a template name, language or parameter WhatsApp would not take is refused with its file, line and key")
    func badTemplateSettings() {
        let yaml = """
            channels:
              whatsapp:
                type: whatsapp
                reengagement_template: Follow Up
                reengagement_template_language: english
                reengagement_template_parameters: a || b
            """
        do {
            _ = try ConfigurationLoader(registry: .builtin, environment: [:]).load(yaml: yaml, file: "channels.yaml")
            Issue.record("the settings were accepted")
        } catch {
            let found = error.problems.map(\.description)
            #expect(found.contains { $0.hasPrefix("channels.yaml:4:") && $0.contains("channels.whatsapp.reengagement_template:") && $0.contains("lowercase letters") })
            #expect(found.contains { $0.hasPrefix("channels.yaml:5:") && $0.contains("channels.whatsapp.reengagement_template_language:") })
            #expect(found.contains { $0.hasPrefix("channels.yaml:6:") && $0.contains("channels.whatsapp.reengagement_template_parameters:") })
        }
    }
}
