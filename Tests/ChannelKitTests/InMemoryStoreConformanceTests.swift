import ChannelKit
import ChannelKitTesting
import Foundation
import Testing

@Suite("InMemoryStore")
struct InMemoryStoreConformanceTests {
    @Test("passes the store conformance suite")
    func conformance() async throws {
        try await StoreConformance.run { InMemoryStore() }
    }

    @Test("passes the identity store conformance suite")
    func identityConformance() async throws {
        try await IdentityStoreConformance.run { InMemoryStore() }
    }

    @Test("passes the operator store conformance suite")
    func operatorConformance() async throws {
        try await OperatorStoreConformance.run { InMemoryStore() }
    }

    @Test("passes the shared state conformance suite")
    func sharedStateConformance() async throws {
        try await SharedStateStoreConformance.run { InMemoryStore() }
    }

    @Test("markSentAndComplete marks the part sent and the item done")
    func markSentAndComplete() async throws {
        let store = InMemoryStore()
        let now = Date(timeIntervalSince1970: 1_760_000_000)
        let item = try #require(await store.accept([EventFactory.text("hi", from: "u", id: "m1")], at: now).first)
        _ = await store.claim(item.id, leaseUntil: now.addingTimeInterval(60), at: now)
        let parts = try await store.recordReply(for: item.id, parts: [OutboundMessage(text: "hello")],
                                                conversation: item.event.conversation, turns: [], at: now)
        try await store.markSentAndComplete(parts[0].id, platformMessageID: "mid.1", inboxID: item.id, at: now)
        #expect(await store.item(item.id)?.state == .done)
        #expect(await store.parts(for: item.id).map(\.state) == [.sent])
    }
}
