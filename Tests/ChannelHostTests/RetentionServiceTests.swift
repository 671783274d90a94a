import ChannelKit
import ChannelKitTesting
import Foundation
import Logging
import Testing
@testable import ChannelHost

@Suite("Retention sweep")
struct RetentionServiceTests {
    @Test("text goes after retention_days, keys after max(retention_days, 7) days, unanswered items stay")
    func sweep() async throws {
        let store: any PipelineStore & PrivacyStore = InMemoryStore()
        let now = Date(timeIntervalSince1970: 1_765_000_000)
        let day: TimeInterval = 86_400
        func answered(_ id: String, daysAgo: Double) async throws -> InboxItem {
            let at = now.addingTimeInterval(-daysAgo * day)
            let item = try #require(try await store.accept([EventFactory.text("text of \(id)", from: "u1", id: id)], at: at).first)
            _ = try await store.claim(item.id, leaseUntil: at.addingTimeInterval(60), at: at)
            try await store.complete(item.id, at: at)
            return item
        }
        let fresh = try await answered("fresh", daysAgo: 2)
        let old = try await answered("old", daysAgo: 5)
        let ancient = try await answered("ancient", daysAgo: 8)
        let waiting = try #require(try await store.accept([EventFactory.text("waiting", from: "u2", id: "w")],
                                                         at: now.addingTimeInterval(-9 * day)).first)

        let capture = LogCapture()
        let service = RetentionService(store: store, retentionDays: 3, interval: .seconds(3600), logger: capture.logger(label: "test"))
        let sweep = try #require(await service.sweepOnce(at: now))
        #expect(sweep.inboxItemsRedacted == 1 && sweep.inboxItemsDeleted == 1)
        #expect(try await store.item(fresh.id)?.event == fresh.event)
        #expect(try await store.item(old.id)?.event == old.event.withoutContent)
        #expect(try await store.item(ancient.id) == nil)
        #expect(try await store.item(waiting.id)?.event == waiting.event)
        #expect(capture.text.contains("retention sweep") && !capture.text.contains("text of"))
    }
}
