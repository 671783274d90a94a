import ChannelKit
import Foundation
import Testing

extension StoreConformance {
    /// Claims are counted until an outcome: each claim adds one (a released lease keeps the
    /// count: the host died in the middle), every outcome and an operator's retry or drop set
    /// it back to zero. The count is what tells a poison message from an interrupted one.
    static func unfinishedClaims(_ store: any PipelineStore) async throws {
        let item = try await accepted(store, text("u1"))
        #expect(try await store.item(item.id)?.unfinishedClaims == 0)
        #expect(try await store.claim(item.id, leaseUntil: t(10), at: t(1))?.unfinishedClaims == 1)
        _ = try await store.releaseAllLeases(at: t(2))
        #expect(try await store.claim(item.id, leaseUntil: t(10), at: t(3))?.unfinishedClaims == 2)
        #expect(try await store.claim(item.id, leaseUntil: t(20), at: t(11))?.unfinishedClaims == 3, "a lapsed lease taken over counts")
        try await store.fail(item.id, reason: "x", nextAttemptAt: t(12), countsAsAttempt: false, at: t(12))
        #expect(try await store.item(item.id)?.unfinishedClaims == 0)
        #expect(try await store.claim(item.id, leaseUntil: t(30), at: t(13))?.unfinishedClaims == 1)
        try await store.complete(item.id, at: t(14))
        #expect(try await store.item(item.id)?.unfinishedClaims == 0)

        let killed = try await processing(store, text("u2"))
        try await store.kill(killed.id, reason: "x", at: t(2))
        #expect(try await store.item(killed.id)?.unfinishedClaims == 0)
        #expect(try await store.retry(killed.id, at: t(3)))
        #expect(try await store.claim(killed.id, leaseUntil: t(10), at: t(4))?.unfinishedClaims == 1)
        _ = try await store.releaseAllLeases(at: t(5))
        #expect(try await store.retry(killed.id, at: t(6)) == false, "a received item is not retried")
        #expect(try await store.drop(killed.id, at: t(7)))
        #expect(try await store.item(killed.id)?.unfinishedClaims == 0)
    }
}
