import ChannelKit
import Foundation
import SQLiteStorage
import Testing
@testable import ChannelHost

/// The real host on a loopback port, driven with signed WhatsApp webhooks over HTTP; the
/// channel sends to the WhatsApp emulator the host serves, and the tests read what it got.
@Suite("WhatsApp end to end", .serialized)
struct WhatsAppEndToEndTests {
    static func whatsappChannel() -> String {
        """
          whatsapp:
            type: whatsapp
            sandbox: true
            app_secret: \(WhatsAppFixtures.appSecret)
            verify_token: \(WhatsAppFixtures.verifyToken)
            access_token: \(WhatsAppFixtures.accessToken)
        """
    }

    static func yaml(assistant: String = "type: echo", channels: String = whatsappChannel()) -> String {
        """
        server:
          host: 127.0.0.1
          port: {{PORT}}
          shutdown_timeout_seconds: 5
        storage:
          path: {{DATA}}/sandra.sqlite
        assistant:
          \(assistant.replacingOccurrences(of: "\n", with: "\n  "))
        pipeline:
          send_attempts: 3
        channels:
        \(channels)
        """
    }

    struct Call: Sendable {
        let recipient: String
        let type: String
        let text: String?
        let readMessageID: String?
        let typing: Bool
    }

    /// Everything the emulated Cloud API received, in order.
    static func outbox(_ host: TestHost) async throws -> [Call] {
        let reply = try await TestHTTP.get("\(host.baseURL)/sandbox/whatsapp/api/outbox")
        #expect(reply.status == 200)
        let items = try #require(try reply.json() as? [[String: Any]])
        return items.map {
            Call(recipient: "\($0["recipient"] ?? "")", type: "\($0["type"] ?? "")", text: $0["text"] as? String,
                 readMessageID: $0["read_message_id"] as? String, typing: $0["typing_indicator"] as? Bool ?? false)
        }
    }

    static func post(_ host: TestHost, body: [UInt8], signature: String? = nil) async throws -> TestHTTP.Reply {
        try await TestHTTP.request("POST", "\(host.baseURL)/api/channels/whatsapp",
                                   headers: ["Content-Type": "application/json",
                                             "X-Hub-Signature-256": signature ?? WhatsAppFixtures.signature(body)],
                                   body: body)
    }

    @Test("handshake echoes the challenge for the right token and refuses others")
    func handshake() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let url = "\(host.baseURL)/api/channels/whatsapp?hub.mode=subscribe&hub.challenge=a-random-string-7&hub.verify_token="
            let good = try await TestHTTP.get(url + WhatsAppFixtures.verifyToken)
            #expect(good.status == 200)
            #expect(good.text == "a-random-string-7")
            let bad = try await TestHTTP.get(url + "wrong")
            #expect(bad.status == 403)
            #expect(!bad.text.contains("a-random-string-7"))
        }
    }

    @Test("a signed text gets a read receipt with typing, then the reply in WhatsApp's dialect")
    func echoReply() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let body = WhatsAppFixtures.body(sender: "15551230001", id: "wamid.e2e.1", text: "Hello Sandra – ça va? 👋")
            #expect(try await Self.post(host, body: body).status == 200)
            await host.waitUntilIdle()
            let calls = try await Self.outbox(host)
            let read = try #require(calls.first)
            #expect(read.type == "read" && read.readMessageID == "wamid.e2e.1" && read.typing)
            let texts = calls.compactMap(\.text)
            #expect(texts.count == 1)
            let text = try #require(texts.first)
            #expect(text.contains("You said: *Hello Sandra – ça va? 👋*"))
            #expect(text.contains("• channel: whatsapp"))
            #expect(text.contains("_echo_"))
            #expect(!text.contains("**") && !text.contains("]("))
            #expect(calls.filter { $0.text != nil }.allSatisfy { $0.recipient == "15551230001" })
        }
    }

    @Test("a long Markdown reply arrives in WhatsApp's dialect, in parts of at most 4096 characters")
    func longReply() async throws {
        var markdown = "# Trip plan\n\n"
        var day = 0
        while markdown.count < 14_000 {
            day += 1
            markdown += "## Day \(day)\n\nVisit **the old town** and read [the guide](https://example.com/day/\(day)). "
            markdown += "Try the *café* near the 🏰 — it's _lovely_ ~~crowded~~.\n\n- morning walk\n- lunch at `noon`\n\n"
        }
        let reply = markdown
        let openAI = try await FakeOpenAIServer.start { _ in .init(content: reply) }
        defer { Task { try? await openAI.stop() } }
        try await withHost(yaml: Self.yaml(assistant: "type: openai\nbase_url: \(openAI.baseURL)\nmodel: test-model")) { host in
            #expect(try await Self.post(host, body: WhatsAppFixtures.body(sender: "15551230002", id: "wamid.e2e.long", text: "plan my trip")).status == 200)
            await host.waitUntilIdle()
            let parts = try await Self.outbox(host).compactMap(\.text)
            #expect(parts.count >= 4)
            for part in parts {
                #expect(part.count <= 4096)
                #expect(!part.contains("**") && !part.contains("](") && !part.contains("##") && !part.contains("~~"))
            }
            let joined = parts.joined(separator: "\n")
            #expect(joined.contains("*the old town*"))
            #expect(joined.contains("_café_"))
            #expect(joined.contains("~crowded~"))
            #expect(joined.contains("*Day \(day)*"))
            // The system prompt told the assistant the channel's dialect and limit.
            let system = openAI.requests.first?.messages.first { $0.role == "system" }?.content ?? ""
            #expect(system.contains("4096"))
        }
    }

    @Test("statuses are recorded and never answered")
    func statusesNeverAnswered() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let statuses = WhatsAppFixtures.statuses(of: "wamid.sent.1", recipient: "15551230003", ["sent", "delivered", "read"])
            #expect(try await Self.post(host, body: statuses).status == 200)
            // The same statuses redelivered create nothing new.
            #expect(try await Self.post(host, body: statuses).status == 200)
            // The sandbox's own status delivery takes the same route.
            let viaSandbox = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/whatsapp/api/status",
                                                        headers: ["Content-Type": "application/json"], body: Array(#"{"user":"15551230003","message_id":"wamid.sent.2","status":"failed"}"#.utf8))
            #expect(viaSandbox.status == 200)
            await host.waitUntilIdle()
            #expect(try await Self.outbox(host).isEmpty)
            let recorded = try await host.runtime.store.items(in: [.ignored], limit: 100)
            #expect(recorded.count == 4)
            #expect(recorded.allSatisfy { $0.event.channel == "whatsapp" && !$0.event.isAnswerable })
        }
    }

    @Test("a bad signature is refused with 403 and nothing is stored or sent")
    func badSignature() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let body = WhatsAppFixtures.body(sender: "15551230004", id: "wamid.e2e.sig", text: "forged")
            #expect(try await Self.post(host, body: body, signature: WhatsAppFixtures.signature(body, secret: "instagram-secret")).status == 403)
            await host.waitUntilIdle()
            let stored = try await host.runtime.store.items(in: Set(InboxState.allCases), limit: 10)
            #expect(stored.isEmpty)
            #expect(try await Self.outbox(host).isEmpty)
        }
    }

    @Test("Instagram and WhatsApp side by side in one host: each answered by its own platform, /readyz lists both")
    func sideBySide() async throws {
        let channels = """
          instagram:
            type: instagram
            sandbox: true
            app_secret: \(InstagramFixtures.appSecret)
            verify_token: \(InstagramFixtures.verifyToken)
            access_token: \(InstagramFixtures.accessToken)
        \(Self.whatsappChannel())
        """
        try await withHost(yaml: Self.yaml(channels: channels)) { host in
            let ready = try await TestHTTP.get("\(host.baseURL)/readyz")
            #expect(ready.status == 200)
            let json = try #require(try ready.json() as? [String: Any])
            let listed = try #require(json["channels"] as? [String: [String: Any]])
            #expect(Set(listed.keys) == ["instagram", "whatsapp"])
            #expect(listed.values.allSatisfy { $0["state"] as? String == "ready" && $0["sandbox"] as? Bool == true })

            // Each channel's secret signs only its own route.
            let igBody = InstagramFixtures.body(sender: "900", mid: "m.side.1", text: "from instagram")
            #expect(try await TestHTTP.request("POST", "\(host.baseURL)/api/channels/whatsapp",
                                               headers: ["X-Hub-Signature-256": InstagramFixtures.signature(igBody)], body: igBody).status == 403)
            #expect(try await EndToEndTests.post(host, body: igBody).status == 200)
            #expect(try await Self.post(host, body: WhatsAppFixtures.body(sender: "15551230005", id: "wamid.side.1", text: "from whatsapp")).status == 200)
            await host.waitUntilIdle()

            let igTexts = try await EndToEndTests.outbox(host).compactMap(\.text)
            #expect(igTexts.count == 1)
            #expect(igTexts.first?.contains("You said: from instagram") == true)
            #expect(igTexts.first?.contains("• channel: instagram") == true)
            let waTexts = try await Self.outbox(host).compactMap(\.text)
            #expect(waTexts.count == 1)
            #expect(waTexts.first?.contains("You said: *from whatsapp*") == true)
            #expect(waTexts.first?.contains("• channel: whatsapp") == true)
        }
    }

    @Test("the sandbox page's send path gets the echo reply")
    func sandboxConversation() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let page = try await TestHTTP.get("\(host.baseURL)/sandbox/whatsapp/")
            #expect(page.status == 200)
            #expect(page.text.contains("WhatsApp sandbox"))
            let send = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/whatsapp/api/send",
                                                  headers: ["Content-Type": "application/json"],
                                                  body: Array(#"{"user":"15551230006","text":"hi from the page"}"#.utf8))
            #expect(send.status == 200)
            let sent = try #require(try send.json() as? [String: Any])
            #expect(sent["status"] as? Int == 200)
            await host.waitUntilIdle()
            let messages = try await TestHTTP.get("\(host.baseURL)/sandbox/whatsapp/api/messages?user=15551230006&after=0")
            let json = try #require(try messages.json() as? [String: Any])
            let list = try #require(json["messages"] as? [[String: Any]])
            let kinds = list.map { "\($0["direction"] ?? "")/\($0["kind"] ?? "")" }
            #expect(kinds == ["in/text", "out/read", "out/typing", "out/text"])
            #expect((list.last?["text"] as? String)?.contains("You said: *hi from the page*") == true)
        }
    }
}
