import ChannelKit
import Foundation
import SQLiteStorage
import Testing
@testable import ChannelHost

/// Instagram attachments Sandra cannot read, and story mentions, through the real host.
@Suite("Instagram unreadable messages and story mentions end to end", .serialized)
struct InstagramUnreadableEndToEndTests {
    typealias E2E = EndToEndTests

    static func attachment(_ type: String, sender: String, mid: String) -> [UInt8] {
        InstagramFixtures.body([InstagramFixtures.Message(sender: sender, mid: mid, text: nil, timestamp: InstagramFixtures.baseMs,
                                                          attachments: [(type, "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1&signature=x")])])
    }

    @Test("a reel or a shared post is answered with what Sandra can read; a story mention is recorded and not answered")
    func reelAndStoryMention() async throws {
        try await withHost(yaml: E2E.yaml()) { host in
            #expect(try await E2E.post(host, body: Self.attachment("ig_reel", sender: "201", mid: "m.reel.1")).status == 200)
            #expect(try await E2E.post(host, body: Self.attachment("share", sender: "202", mid: "m.share.1")).status == 200)
            #expect(try await E2E.post(host, body: Self.attachment("story_mention", sender: "203", mid: "m.mention.1")).status == 200)
            await host.waitUntilIdle()
            let texts = try await E2E.outbox(host).filter { $0.text != nil }
            #expect(Set(texts.map(\.recipient)) == ["201", "202"], "the story mention gets no reply by default")
            #expect(texts.allSatisfy { $0.text?.contains("I can read text, photos and voice messages") == true })
            #expect(try await host.runtime.store.counts()[.ignored] == 1)
        }
    }

    @Test("with story_mention_reply set, a story mention gets that thanks and never the assistant's answer")
    func storyMentionThanks() async throws {
        try await withHost(yaml: E2E.yaml(extraChannelKeys: "story_mention_reply: Thanks for the mention!")) { host in
            #expect(try await E2E.post(host, body: Self.attachment("story_mention", sender: "204", mid: "m.mention.2")).status == 200)
            await host.waitUntilIdle()
            let texts = try await E2E.outbox(host).compactMap(\.text)
            #expect(texts == ["Thanks for the mention!"])
        }
    }
}
