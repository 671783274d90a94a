import ChannelKit
import Foundation
import SQLiteStorage
import Testing
@testable import ChannelHost

/// Long WhatsApp replies through the real host and the WhatsApp emulator, whose Cloud API
/// refuses a text over the limit as Graph does — code 100, `(#100) Invalid parameter`, counted
/// in code points and UTF-16 code units.
@Suite("WhatsApp long replies end to end", .serialized)
struct WhatsAppLongReplyEndToEndTests {
    static func content(_ text: String) -> [Character] { Array(text).filter { !$0.isWhitespace } }

    static func item(_ host: TestHost, _ id: String) async throws -> InboxItem? {
        try await host.runtime.store.items(in: Set(InboxState.allCases), limit: 100).first { $0.event.platformMessageID == id }
    }

    @Test("a reply full of family emoji, flags and accents arrives whole, each part within 4096 code points and UTF-16 units")
    func emojiHeavyReply() async throws {
        // About 2,400 characters to a reader, but over 20,000 UTF-16 units: counted in characters
        // it would go as one part, which the Cloud API refuses.
        var reply = ""
        for index in 1...600 {
            reply += "día\(index) 👨‍👩‍👧‍👦🇫🇷 🧑🏿‍🚀" + (index % 50 == 0 ? "\n\n" : " ")
        }
        let answer = reply
        let openAI = try await FakeOpenAIServer.start { _ in .init(content: answer) }
        defer { Task { try? await openAI.stop() } }
        try await withHost(yaml: WhatsAppEndToEndTests.yaml(assistant: "type: openai\nbase_url: \(openAI.baseURL)\nmodel: test-model")) { host in
            let body = WhatsAppFixtures.body(sender: "15551239001", id: "wamid.e2e.emoji", text: "family trip")
            #expect(try await WhatsAppEndToEndTests.post(host, body: body).status == 200)
            await host.waitUntilIdle()
            let parts = try await WhatsAppEndToEndTests.outbox(host).compactMap(\.text)
            #expect(parts.count >= 5)
            for part in parts {
                #expect(part.unicodeScalars.count <= 4096 && part.utf16.count <= 4096)
            }
            #expect(Self.content(parts.joined(separator: " ")) == Self.content(answer), "all of it, no emoji cut")
            #expect(try await Self.item(host, "wamid.e2e.emoji")?.state == .done)
        }
    }
}
