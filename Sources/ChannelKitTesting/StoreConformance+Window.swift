import ChannelKit
import Foundation
import Testing

// Scenarios: finding a sent part by the platform's message id (a delivery status names it).
extension StoreConformance {
    static func partByPlatformMessageID(_ store: any PipelineStore) async throws {
        let item = try await processing(store, text("w1"))
        let parts = try await store.recordReply(for: item.id, parts: [OutboundMessage(text: "one"), OutboundMessage(text: "two")],
                                                conversation: conversation, turns: [], at: t(1))
        #expect(try await store.part(withPlatformMessageID: "wamid.w1.0") == nil, "a pending part has no platform id yet")
        try await store.markSent(parts[0].id, platformMessageID: "wamid.w1.0", at: t(2))
        try await store.markSentAndComplete(parts[1].id, platformMessageID: "wamid.w1.1", inboxID: item.id, at: t(3))

        // Found after its message is done, with what it carried and where it stands.
        let second = try #require(try await store.part(withPlatformMessageID: "wamid.w1.1"))
        #expect(second.id == parts[1].id && second.inboxID == item.id && second.index == 1)
        #expect(second.state == .sent && second.platformMessageID == "wamid.w1.1" && second.message.text == "two")
        #expect(try await store.part(withPlatformMessageID: "wamid.w1.0")?.id == parts[0].id)
        #expect(try await store.part(withPlatformMessageID: "wamid.unknown") == nil)
        #expect(try await store.part(withPlatformMessageID: "") == nil)
    }
}
