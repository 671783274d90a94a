import ChannelKit
import Foundation
import SQLiteStorage
import Testing
@testable import ChannelHost

/// Long WhatsApp replies through the real host and the WhatsApp emulator, whose Cloud API
/// refuses a text over the limit as Graph does — code 100, `(#100) Invalid parameter`, counted
/// in code points and UTF-16 code units — and can be told to refuse shorter ones.
@Suite("WhatsApp long replies end to end", .serialized)
struct WhatsAppLongReplyEndToEndTests {
    static func faults(_ host: TestHost, _ json: String) async throws {
        let reply = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/whatsapp/api/faults",
                                               headers: ["Content-Type": "application/json"], body: Array(json.utf8))
        #expect(reply.status == 200)
    }

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

    @Test("a part the Cloud API refuses with code 100 goes split smaller; refused again, the person gets the fallback")
    func refusedPartsStillReachThePerson() async throws {
        let sentences = (1...400).map { "Sentence \($0) of the long answer." }.joined(separator: " ")   // about 13,000 characters
        let openAI = try await FakeOpenAIServer.start { _ in .init(content: sentences) }
        defer { Task { try? await openAI.stop() } }
        try await withHost(yaml: WhatsAppEndToEndTests.yaml(assistant: "type: openai\nbase_url: \(openAI.baseURL)\nmodel: test-model")) { host in
            // Graph counts longer than the profile says: parts of up to 4096 are refused, pieces of 2048 pass.
            try await Self.faults(host, #"{"max_text_length": 3000}"#)
            let first = WhatsAppFixtures.body(sender: "15551239002", id: "wamid.e2e.refused.1", text: "tell me everything")
            #expect(try await WhatsAppEndToEndTests.post(host, body: first).status == 200)
            await host.waitUntilIdle()
            let received = try await WhatsAppEndToEndTests.outbox(host).filter { $0.recipient == "15551239002" }.compactMap(\.text)
            #expect(received.allSatisfy { $0.utf16.count <= 3000 })
            #expect(Self.content(received.joined(separator: " ")) == Self.content(sentences), "the whole answer, in order")
            let answered = try #require(try await Self.item(host, "wamid.e2e.refused.1"))
            #expect(answered.state == .done)
            let refused = try await host.runtime.store.parts(for: answered.id).filter { $0.state == .failed }
            #expect(refused.count >= 3 && refused.allSatisfy { $0.message.text.utf16.count > 3000 }, "each full-size part was refused, then split")

            // Now even the pieces are refused: the fallback reaches the person.
            try await Self.faults(host, #"{"max_text_length": 1000}"#)
            let second = WhatsAppFixtures.body(sender: "15551239003", id: "wamid.e2e.refused.2", text: "tell me again")
            #expect(try await WhatsAppEndToEndTests.post(host, body: second).status == 200)
            await host.waitUntilIdle()
            let fallback = try await WhatsAppEndToEndTests.outbox(host).filter { $0.recipient == "15551239003" }.compactMap(\.text)
            #expect(fallback == ["Sorry, I couldn't send my full answer here. Please ask again, perhaps for a shorter answer."])
            let item = try #require(try await Self.item(host, "wamid.e2e.refused.2"))
            #expect(item.state == .done)
            let parts = try await host.runtime.store.parts(for: item.id)
            #expect(parts.filter { $0.state == .failed }.contains { $0.lastError?.contains("(#100) Invalid parameter") == true },
                    "the refused parts are kept with Graph's reason")
        }
    }
}
