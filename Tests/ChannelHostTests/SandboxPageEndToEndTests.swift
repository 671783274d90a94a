import Foundation
import Testing
@testable import ChannelHost

/// The sandbox page's conversation through the real host: a message of several lines reaches
/// the channel with its line breaks, and every entry of the thread carries the request that
/// really crossed the wire — the webhook the emulator delivered, the Graph call the host made.
@Suite("Sandbox page")
struct SandboxPageEndToEndTests {
    static let text = "first line\nsecond line"

    /// Sends `body` as the page does and returns the person's thread once the host is idle.
    static func converse(_ host: TestHost, channel: String, user: String, body: String) async throws -> [[String: Any]] {
        let send = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/\(channel)/api/send",
                                              headers: ["Content-Type": "application/json"], body: Array(body.utf8))
        #expect(send.status == 200)
        #expect((try send.json() as? [String: Any])?["status"] as? Int == 200, "the channel accepted the webhook")
        await host.waitUntilIdle()
        let messages = try await TestHTTP.get("\(host.baseURL)/sandbox/\(channel)/api/messages?user=\(user)&after=0")
        return try #require(try messages.json() as? [String: Any])["messages"] as? [[String: Any]] ?? []
    }

    /// The raw request of an entry: its first line and its body, parsed.
    static func raw(_ entry: [String: Any]?) throws -> (line: String, body: [String: Any]) {
        let raw = try #require(entry?["raw"] as? String)
        let parts = raw.components(separatedBy: "\n\n")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(parts.dropFirst().joined(separator: "\n\n").utf8)) as? [String: Any])
        return (parts[0], body)
    }

    /// A host with one Messenger channel in sandbox mode, on the development credentials.
    static let messengerYAML = """
        server:
          host: 127.0.0.1
          port: {{PORT}}
        storage:
          path: {{DATA}}/sandra.sqlite
        assistant:
          type: echo
        channels:
          messenger:
            type: messenger
            sandbox: true
        """

    @Test("Instagram and Messenger: a two-line message arrives with its newline; the thread shows the webhook delivered and the Graph request the host sent",
          arguments: [("instagram", "instagram"), ("messenger", "page")])
    func messagingPlatform(channel: String, object: String) async throws {
        try await withHost(yaml: channel == "instagram" ? EndToEndTests.yaml() : Self.messengerYAML) { host in
            let thread = try await Self.converse(host, channel: channel, user: "page-lines",
                                                 body: #"{"user":"page-lines","text":"first line\nsecond line"}"#)
            let inbound = try #require(thread.first { $0["direction"] as? String == "in" })
            #expect(inbound["text"] as? String == Self.text)
            let delivered = try Self.raw(inbound)
            #expect(delivered.line == "POST /api/channels/\(channel)")
            #expect(delivered.body["object"] as? String == object)
            let messaging = ((delivered.body["entry"] as? [[String: Any]])?.first?["messaging"] as? [[String: Any]])?.first
            #expect((messaging?["message"] as? [String: Any])?["text"] as? String == Self.text)

            let reply = try #require(thread.last { $0["direction"] as? String == "out" && $0["kind"] as? String == "text" })
            let sent = try Self.raw(reply)
            #expect(sent.line.hasPrefix("POST /graph/") && sent.line.hasSuffix("/messages"))
            // The host's own body, as it sent it: with the messaging type the emulator does not record.
            #expect(sent.body["messaging_type"] as? String == "RESPONSE")
            #expect((sent.body["recipient"] as? [String: Any])?["id"] as? String == "page-lines")
            #expect((sent.body["message"] as? [String: Any])?["text"] as? String == reply["text"] as? String)
        }
    }

    @Test("WhatsApp: a two-line message arrives with its newline; read receipt and reply carry the Cloud API requests the host sent")
    func whatsApp() async throws {
        try await withHost(yaml: WhatsAppEndToEndTests.yaml()) { host in
            let thread = try await Self.converse(host, channel: "whatsapp", user: "15551230009",
                                                 body: #"{"user":"15551230009","text":"first line\nsecond line"}"#)
            let inbound = try #require(thread.first { $0["direction"] as? String == "in" })
            #expect(inbound["text"] as? String == Self.text)
            let delivered = try Self.raw(inbound)
            #expect(delivered.line == "POST /api/channels/whatsapp")
            let value = ((delivered.body["entry"] as? [[String: Any]])?.first?["changes"] as? [[String: Any]])?.first?["value"] as? [String: Any]
            let message = (value?["messages"] as? [[String: Any]])?.first
            #expect((message?["text"] as? [String: Any])?["body"] as? String == Self.text)

            let read = try #require(thread.first { $0["kind"] as? String == "read" })
            let receipt = try Self.raw(read).body
            #expect(receipt["status"] as? String == "read" && receipt["message_id"] as? String == inbound["message_id"] as? String)
            let reply = try #require(thread.last { $0["direction"] as? String == "out" && $0["kind"] as? String == "text" })
            let sent = try Self.raw(reply)
            #expect(sent.line.hasPrefix("POST /graph/") && sent.line.hasSuffix("/messages"))
            #expect(sent.body["messaging_product"] as? String == "whatsapp")
            #expect((sent.body["text"] as? [String: Any])?["body"] as? String == reply["text"] as? String)
        }
    }

    @Test("each page takes several lines (Shift+Enter), sends on Enter, and folds each message's raw request under it")
    func page() async throws {
        for (yaml, channel) in [(EndToEndTests.yaml(), "instagram"), (WhatsAppEndToEndTests.yaml(), "whatsapp"), (Self.messengerYAML, "messenger")] {
            try await withHost(yaml: yaml) { host in
                let html = try await TestHTTP.get("\(host.baseURL)/sandbox/\(channel)/").text
                #expect(html.contains(#"<textarea id="text""#))
                #expect(html.contains(#"event.key === "Enter" && !event.shiftKey"#))
                #expect(html.contains("webhook delivered") && html.contains("Graph request"))
                #expect(html.contains(#"createElement("details")"#))
            }
        }
    }
}
