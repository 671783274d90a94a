import ChannelKit
import ChannelPipeline
import Foundation
import Sandbox
import Synchronization
import Testing
@testable import ChannelHost

/// The real host on a loopback port, driven with signed Instagram webhooks over HTTP; the
/// channel sends to the Instagram emulator the host serves, and the tests read what it got.
@Suite("End to end", .serialized)
struct EndToEndTests {
    static func yaml(assistant: String = "type: echo", extraChannelKeys: String = "") -> String {
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
          instagram:
            type: instagram
            sandbox: true
            app_secret: \(InstagramFixtures.appSecret)
            verify_token: \(InstagramFixtures.verifyToken)
            access_token: \(InstagramFixtures.accessToken)
            max_body_bytes: 65536
            \(extraChannelKeys)
        """
    }

    struct Sent: Sendable {
        let recipient: String
        let text: String?
        let senderAction: String?
    }

    /// Everything the emulated Graph API received, in order.
    static func outbox(_ host: TestHost) async throws -> [Sent] {
        let reply = try await TestHTTP.get("\(host.baseURL)/sandbox/instagram/api/outbox")
        #expect(reply.status == 200)
        let json = try reply.json()
        let items = (json as? [[String: Any]]) ?? ((json as? [String: Any])?["messages"] as? [[String: Any]]) ?? []
        return items.map {
            Sent(recipient: "\($0["recipient"] ?? "")", text: $0["text"] as? String, senderAction: $0["sender_action"] as? String)
        }
    }

    static func post(_ host: TestHost, body: [UInt8], signature: String? = nil) async throws -> TestHTTP.Reply {
        var headers = ["Content-Type": "application/json"]
        headers["X-Hub-Signature-256"] = signature ?? InstagramFixtures.signature(body)
        return try await TestHTTP.request("POST", "\(host.baseURL)/api/channels/instagram", headers: headers, body: body)
    }

    @Test("handshake echoes the challenge for the right token and refuses others")
    func handshake() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let url = "\(host.baseURL)/api/channels/instagram?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token="
            let good = try await TestHTTP.get(url + InstagramFixtures.verifyToken)
            #expect(good.status == 200)
            #expect(good.text == "1158201444")
            let bad = try await TestHTTP.get(url + "wrong")
            #expect(bad.status == 403)
            #expect(!bad.text.contains("1158201444"))
        }
    }

    /// The test YAML with `pipeline.typing_indicator_delay_ms` set.
    static func yaml(typingDelayMilliseconds: Int) -> String {
        yaml().replacingOccurrences(of: "send_attempts: 3", with: "send_attempts: 3\n  typing_indicator_delay_ms: \(typingDelayMilliseconds)")
    }

    @Test("a text message gets the echo reply, plain text, after a typing indicator when the delay is 0")
    func echoReply() async throws {
        try await withHost(yaml: Self.yaml(typingDelayMilliseconds: 0)) { host in
            let body = InstagramFixtures.body(sender: "111", mid: "m.echo.1", text: "Hello Sandra – ça va? 👋")
            let reply = try await Self.post(host, body: body)
            #expect(reply.status == 200)
            await host.waitUntilIdle()
            let sent = try await Self.outbox(host)
            #expect(sent.map(\.senderAction) == ["typing_on", nil])
            let texts = sent.compactMap(\.text)
            #expect(texts.count == 1)
            let text = try #require(texts.first)
            #expect(text.contains("You said: Hello Sandra – ça va? 👋"))
            #expect(text.contains("• channel: instagram"))
            #expect(text.contains("Formatting help (https://commonmark.org/help/)"))
            #expect(!text.contains("**") && !text.contains("](") && !text.contains("`"))
            #expect(sent.allSatisfy { $0.recipient == "111" })
        }
    }

    @Test("an answer ready before the typing delay goes out without a typing indicator")
    func quickAnswerWithoutTyping() async throws {
        try await withHost(yaml: Self.yaml(typingDelayMilliseconds: 600_000)) { host in
            let body = InstagramFixtures.body(sender: "112", mid: "m.quick.1", text: "quick one")
            #expect(try await Self.post(host, body: body).status == 200)
            await host.waitUntilIdle()
            let sent = try await Self.outbox(host)
            #expect(sent.map(\.senderAction) == [nil])
            #expect(sent.first?.text?.contains("You said: quick one") == true)
        }
    }

    @Test("a redelivered webhook is answered once, even when deliveries race")
    func redeliveryAnsweredOnce() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let body = InstagramFixtures.body(sender: "222", mid: "m.dup.1", text: "only once please")
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 { group.addTask { try await Self.post(host, body: body).status } }
                for try await status in group { #expect(status == 200) }
            }
            await host.waitUntilIdle()
            #expect(try await Self.post(host, body: body).status == 200)
            await host.waitUntilIdle()
            let texts = try await Self.outbox(host).compactMap(\.text)
            #expect(texts.count == 1)
            // Counted on /metrics: one event accepted, eight duplicates, one reply of one part.
            let metrics = try await TestHTTP.get("\(host.baseURL)/metrics").text
            for line in [#"sandra_webhook_events_total{channel="instagram",result="accepted"} 1"#,
                         #"sandra_webhook_events_total{channel="instagram",result="duplicate"} 8"#,
                         #"sandra_replies_total{channel="instagram",result="delivered"} 1"#,
                         #"sandra_reply_parts_sent_total{channel="instagram"} 1"#] {
                #expect(metrics.contains(line), "\(line)")
            }
        }
    }

    @Test("a bad signature is refused with 403 and nothing is stored or sent")
    func badSignature() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let body = InstagramFixtures.body(sender: "333", mid: "m.sig.1", text: "forged")
            let forged = try await Self.post(host, body: body, signature: InstagramFixtures.signature(body, secret: "not-the-secret"))
            #expect(forged.status == 403)
            let missing = try await TestHTTP.request("POST", "\(host.baseURL)/api/channels/instagram", body: body)
            #expect(missing.status == 403)
            await host.waitUntilIdle()
            #expect(try await Self.outbox(host).isEmpty)
            // Nothing was recorded: the same message, correctly signed, is new and answered.
            #expect(try await Self.post(host, body: body).status == 200)
            await host.waitUntilIdle()
            #expect(try await Self.outbox(host).compactMap(\.text).count == 1)
        }
    }

    @Test("malformed and oversized bodies get 400 and 413; the host keeps serving")
    func badBodies() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let garbage = Array(#"{"object":"instagram","entry":[{"id":"1","messaging":[{"sender":"#.utf8)
            #expect(try await Self.post(host, body: garbage).status == 400)
            let wrongShape = Array(#"{"object":"instagram","entry":{"id":"1"}}"#.utf8)
            #expect(try await Self.post(host, body: wrongShape).status == 400)
            let huge = [UInt8](repeating: UInt8(ascii: " "), count: 70_000)
            #expect(try await Self.post(host, body: huge).status == 413)
            let health = try await TestHTTP.get("\(host.baseURL)/healthz")
            #expect(health.status == 200)
            let body = InstagramFixtures.body(sender: "444", mid: "m.after.1", text: "still there?")
            #expect(try await Self.post(host, body: body).status == 200)
            await host.waitUntilIdle()
            #expect(try await Self.outbox(host).compactMap(\.text).count == 1)
        }
    }

    @Test("20 messages from one sender are answered in order while another sender is not held up")
    func orderingAndFairness() async throws {
        let openAI = try await FakeOpenAIServer.start { request in
            let text = request.lastUserText
            // Each of the busy sender's turns takes a while; the other sender's is instant.
            return .init(delay: text.hasPrefix("busy") ? .milliseconds(60) : .zero, content: "re: \(text)")
        }
        defer { Task { try? await openAI.stop() } }
        let assistant = "type: openai\nbase_url: \(openAI.baseURL)\nmodel: test-model\napi_key: sk-test"
        try await withHost(yaml: Self.yaml(assistant: assistant)) { host in
            // Deliveries arrive in scrambled order; platform timestamps say the real order.
            let order = [3, 0, 7, 1, 2, 5, 4, 6, 9, 8, 10, 13, 11, 12, 15, 14, 16, 19, 17, 18]
            let messages = order.map {
                InstagramFixtures.Message(sender: "555", mid: "m.busy.\($0)", text: "busy \($0)", timestamp: InstagramFixtures.baseMs + Int64($0))
            }
            // The first delivery carries all 20, out of order; the other sender's comes right after.
            #expect(try await Self.post(host, body: InstagramFixtures.body(messages)).status == 200)
            #expect(try await Self.post(host, body: InstagramFixtures.body(sender: "666", mid: "m.quick.1", text: "quick")).status == 200)
            await host.waitUntilIdle()
            let sent = try await Self.outbox(host).filter { $0.text != nil }
            let busy = sent.filter { $0.recipient == "555" }.compactMap(\.text)
            #expect(busy == (0..<20).map { "re: busy \($0)" })
            let quickIndex = try #require(sent.firstIndex { $0.recipient == "666" })
            let lastBusyIndex = try #require(sent.lastIndex { $0.recipient == "555" })
            #expect(quickIndex < lastBusyIndex / 2, "the other sender waited behind the busy one")
            // The assistant saw the conversation so far, in order.
            let lastBusyRequest = try #require(openAI.requests.last { $0.lastUserText == "busy 19" })
            let history = lastBusyRequest.messages.filter { $0.role == "user" }.map(\.content)
            #expect(history.suffix(3) == ["busy 17", "busy 18", "busy 19"])
            #expect(lastBusyRequest.authorization == "Bearer sk-test")
        }
    }

    @Test("a 5,000-byte Markdown reply arrives as plain-text parts of at most 1000 bytes")
    func longMarkdownReply() async throws {
        var markdown = "# Trip plan\n\n"
        var index = 0
        while markdown.utf8.count < 5_000 {
            index += 1
            markdown += "## Day \(index)\n\nVisit **the old town** and read [the guide](https://example.com/day/\(index)). "
            markdown += "Try the *café* near the 🏰 — it's _lovely_ ~~crowded~~.\n\n- morning walk\n- lunch at `noon`\n\n"
        }
        let reply = markdown
        let openAI = try await FakeOpenAIServer.start { _ in .init(content: reply) }
        defer { Task { try? await openAI.stop() } }
        let assistant = "type: openai\nbase_url: \(openAI.baseURL)\nmodel: test-model"
        try await withHost(yaml: Self.yaml(assistant: assistant)) { host in
            #expect(try await Self.post(host, body: InstagramFixtures.body(sender: "777", mid: "m.long.1", text: "plan my trip")).status == 200)
            await host.waitUntilIdle()
            let parts = try await Self.outbox(host).compactMap(\.text)
            #expect(parts.count >= 5)
            for part in parts {
                #expect(part.utf8.count <= 1000)
                #expect(!part.contains("**") && !part.contains("](") && !part.contains("##") && !part.contains("~~"))
                #expect(!part.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
            }
            let joined = parts.joined(separator: "\n")
            #expect(joined.contains("the guide (https://example.com/day/1)"))
            #expect(joined.contains("• morning walk"))
            for day in 1...index { #expect(joined.contains("Day \(day)\n") || joined.hasSuffix("Day \(day)")) }
        }
    }

    @Test("an assistant failure past the retry window gets a short apology, not silence")
    func assistantFailure() async throws {
        let openAI = try await FakeOpenAIServer.start { _ in .init(status: 500, content: "boom") }
        defer { Task { try? await openAI.stop() } }
        let assistant = "type: openai\nbase_url: \(openAI.baseURL)\nmodel: test-model\nretry_window_seconds: 0"
        try await withHost(yaml: Self.yaml(assistant: assistant)) { host in
            #expect(try await Self.post(host, body: InstagramFixtures.body(sender: "888", mid: "m.fail.1", text: "hello?")).status == 200)
            await host.waitUntilIdle()
            let texts = try await Self.outbox(host).compactMap(\.text)
            #expect(texts.count == 1)
            #expect(texts.first?.hasPrefix("Sorry") == true)
        }
    }

    @Test("an assistant answering 503 and 429 for a while: one 'one moment' note, then the real answer, in order")
    func assistantOutage() async throws {
        let calls = Mutex(0)
        let openAI = try await FakeOpenAIServer.start { request in
            let call = calls.withLock { count in count += 1; return count }
            switch call {
            case 1: return .init(status: 503, content: "overloaded")
            case 2: return .init(status: 429, content: "rate limited")
            default: return .init(content: "answer to: \(request.lastUserText)")
            }
        }
        defer { Task { try? await openAI.stop() } }
        let assistant = "type: openai\nbase_url: \(openAI.baseURL)\nmodel: test-model\nretry_window_seconds: 120\nhold_note_after_seconds: 0"
        try await withHost(yaml: Self.yaml(assistant: assistant)) { host in
            #expect(try await Self.post(host, body: InstagramFixtures.body(sender: "889", mid: "m.out.1", text: "are you there?")).status == 200)
            await host.waitUntilIdle()
            let texts = try await Self.outbox(host).compactMap(\.text)
            #expect(texts == ["One moment, please: I'm having trouble thinking right now. I'll answer as soon as I can.",
                              "answer to: are you there?"])
            #expect(calls.withLock { $0 } == 3)
        }
    }

    @Test("readyz reports every channel; healthz answers")
    func readiness() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let ready = try await TestHTTP.get("\(host.baseURL)/readyz")
            #expect(ready.status == 200)
            let json = try #require(try ready.json() as? [String: Any])
            #expect(json["ready"] as? Bool == true)
            let channels = try #require(json["channels"] as? [String: Any])
            let instagram = try #require(channels["instagram"] as? [String: Any])
            #expect(instagram["state"] as? String == "ready")
            #expect(instagram["sandbox"] as? Bool == true)
            #expect(try await TestHTTP.get("\(host.baseURL)/healthz").status == 200)
            let metrics = try await TestHTTP.get("\(host.baseURL)/metrics")
            #expect(metrics.status == 200)
            // The pipeline's counters, made at start-up for every channel, under their names.
            for line in [#"sandra_webhook_events_total{channel="instagram",result="accepted"} 0"#,
                         #"sandra_webhook_events_total{channel="instagram",result="duplicate"} 0"#,
                         #"sandra_replies_total{channel="instagram",result="delivered"} 0"#,
                         #"sandra_replies_total{channel="instagram",result="permanent"} 0"#,
                         #"sandra_reply_parts_sent_total{channel="instagram"} 0"#,
                         #"sandra_send_retries_total{channel="instagram"} 0"#,
                         #"sandra_assistant_failures_total{channel="instagram"} 0"#] {
                #expect(metrics.text.contains(line), "\(line)")
            }
        }
    }

    @Test("the bare benchmark route exists only when server.benchmark_routes is on")
    func benchmarkRoute() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let status = try await TestHTTP.request("POST", "\(host.baseURL)/bench/ack", body: Array("x".utf8)).status
            #expect(status == 404)
        }
        let on = Self.yaml().replacingOccurrences(of: "  shutdown_timeout_seconds: 5\n", with: "  shutdown_timeout_seconds: 5\n  benchmark_routes: true\n")
        try await withHost(yaml: on) { host in
            let reply = try await TestHTTP.request("POST", "\(host.baseURL)/bench/ack", body: Array(#"{"object":"instagram"}"#.utf8))
            #expect(reply.status == 200)
            let sent = try await Self.outbox(host)
            #expect(sent.isEmpty)
        }
    }

    @Test("the sandbox page's send path gets the echo reply")
    func sandboxConversation() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let page = try await TestHTTP.get("\(host.baseURL)/sandbox/instagram/")
            #expect(page.status == 200)
            #expect(page.text.contains("<html") || page.text.contains("<!doctype") || page.text.contains("<!DOCTYPE"))
            let send = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/instagram/api/send",
                                                  headers: ["Content-Type": "application/json"],
                                                  body: Array(#"{"user":"sandbox-user-1","text":"hi from the page"}"#.utf8))
            #expect(send.status == 200)
            await host.waitUntilIdle()
            let messages = try await TestHTTP.get("\(host.baseURL)/sandbox/instagram/api/messages?user=sandbox-user-1&after=0")
            let json = try #require(try messages.json() as? [String: Any])
            let list = try #require(json["messages"] as? [[String: Any]])
            let outgoing = list.filter { $0["direction"] as? String == "out" && $0["kind"] as? String == "text" }
            #expect(outgoing.count == 1)
            #expect((outgoing.first?["text"] as? String)?.contains("You said: hi from the page") == true)
        }
    }

    @Test("graceful shutdown lets an in-flight reply finish")
    func gracefulShutdown() async throws {
        let openAI = try await FakeOpenAIServer.start { _ in .init(delay: .milliseconds(400), content: "finished **late**") }
        defer { Task { try? await openAI.stop() } }
        let assistant = "type: openai\nbase_url: \(openAI.baseURL)\nmodel: test-model"
        let host = try await TestHost.start(yaml: Self.yaml(assistant: assistant))
        #expect(try await Self.post(host, body: InstagramFixtures.body(sender: "999", mid: "m.shutdown.1", text: "slow one")).status == 200)
        // The reply is in flight (the assistant takes 400 ms); shut down now.
        try await host.stop()
        let sandbox = try #require(host.runtime.supervisor.channel(named: "instagram")?.sandbox)
        let outbox = await sandbox.handle(SandboxRequest(method: .get, path: "/api/outbox"))
        let text = String(decoding: outbox.body, as: UTF8.self)
        #expect(text.contains("finished late"))
    }
}
