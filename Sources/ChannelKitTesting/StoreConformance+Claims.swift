import ChannelKit
import Foundation
import Testing

// Scenarios: claims, leases and outcomes; what a start-up does.
extension StoreConformance {
    // MARK: - Claim, lease, complete, fail, kill

    static func claimRules(_ store: any PipelineStore) async throws {
        let item = try await accepted(store, text("c1"), at: t(0))
        let claimed = try #require(try await store.claim(item.id, leaseUntil: t(30), at: t(1)))
        #expect(claimed.id == item.id && claimed.event == item.event)
        #expect(claimed.state == .processing)
        #expect(claimed.leaseExpiresAt == t(30))
        #expect(claimed.updatedAt == t(1) && claimed.receivedAt == t(0))
        #expect(try await store.item(item.id) == claimed, "claim returns the stored item")

        #expect(try await store.claim(item.id, leaseUntil: t(60), at: t(29)) == nil, "a live lease is not claimable")
        let reclaimed = try #require(try await store.claim(item.id, leaseUntil: t(90), at: t(30)),
                                     "a lease that expired (lease <= now) is claimable again")
        #expect(reclaimed.state == .processing && reclaimed.leaseExpiresAt == t(90) && reclaimed.attempts == 0)

        #expect(try await store.claim(9_999_999, leaseUntil: t(60), at: t(1)) == nil, "an unknown id is not claimable")
        let ignored = try await accepted(store, EventFactory.ignored(.reaction, from: "u1", id: "i1"))
        #expect(try await store.claim(ignored.id, leaseUntil: t(60), at: t(1)) == nil, "ignored is not claimable")

        try await store.complete(item.id, at: t(40))
        #expect(try await store.claim(item.id, leaseUntil: t(200), at: t(100)) == nil, "done is not claimable")
    }

    static func claimExclusivity(_ store: any PipelineStore) async throws {
        for round in 0..<5 {
            let item = try await accepted(store, text("ex\(round)"))
            let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                for worker in 0..<2 {
                    group.addTask {
                        try await store.claim(item.id, leaseUntil: t(100 + Int64(worker)), at: t(1)) != nil
                    }
                }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(winners == 1, "of two concurrent claims exactly one wins (round \(round))")
        }
    }

    static func leaseRenewal(_ store: any PipelineStore) async throws {
        let item = try await processing(store, text("l1"), leaseUntil: t(30), at: t(1))
        try await store.renewLease(item.id, until: t(90), at: t(20))
        let renewed = try #require(try await store.item(item.id))
        #expect(renewed.state == .processing && renewed.leaseExpiresAt == t(90) && renewed.updatedAt == t(20))
        #expect(try await store.claim(item.id, leaseUntil: t(200), at: t(60)) == nil, "the renewed lease holds")
        #expect(try await store.claim(item.id, leaseUntil: t(200), at: t(90)) != nil, "and expires in its turn")

        let received = try await accepted(store, text("l2"))
        await expectStoreError(.invalidTransition, "renewing a received item") {
            try await store.renewLease(received.id, until: t(90), at: t(2))
        }
        await expectStoreError(.invalidTransition, "renewing an unknown item") {
            try await store.renewLease(9_999_999, until: t(90), at: t(2))
        }
    }

    static func complete(_ store: any PipelineStore) async throws {
        let item = try await processing(store, text("k1"))
        try await store.complete(item.id, at: t(5))
        let done = try #require(try await store.item(item.id))
        #expect(done.state == .done && done.leaseExpiresAt == nil && done.updatedAt == t(5) && done.attempts == 0)
        await expectStoreError(.invalidTransition, "completing a done item") { try await store.complete(item.id, at: t(6)) }
        let received = try await accepted(store, text("k2"))
        await expectStoreError(.invalidTransition, "completing a received item") {
            try await store.complete(received.id, at: t(6))
        }
        #expect(try await store.item(received.id)?.state == .received, "a refused transition changes nothing")
        await expectStoreError(.invalidTransition, "completing an unknown item") { try await store.complete(9_999_999, at: t(6)) }
    }

    static func failAndNextAttempt(_ store: any PipelineStore) async throws {
        let item = try await processing(store, text("f1"), leaseUntil: t(30), at: t(1))
        try await store.fail(item.id, reason: "timeout", nextAttemptAt: t(60), countsAsAttempt: true, at: t(2))
        let failed = try #require(try await store.item(item.id))
        #expect(failed.state == .failed && failed.attempts == 1 && failed.nextAttemptAt == t(60))
        #expect(failed.lastError == "timeout" && failed.leaseExpiresAt == nil && failed.updatedAt == t(2))

        #expect(try await store.claim(item.id, leaseUntil: t(100), at: t(59, ms: 999)) == nil, "not claimable before its next attempt")
        let again = try #require(try await store.claim(item.id, leaseUntil: t(100), at: t(60)), "claimable at its next attempt")
        #expect(again.state == .processing && again.attempts == 1 && again.leaseExpiresAt == t(100))

        try await store.fail(item.id, reason: "paused", nextAttemptAt: t(120), countsAsAttempt: false, at: t(61))
        #expect(try await store.item(item.id)?.attempts == 1, "a pause does not count as an attempt")
        #expect(try await store.item(item.id)?.lastError == "paused")
        _ = try await store.claim(item.id, leaseUntil: t(200), at: t(130))
        try await store.fail(item.id, reason: "timeout", nextAttemptAt: t(240), countsAsAttempt: true, at: t(131))
        #expect(try await store.item(item.id)?.attempts == 2, "attempts count up")
        #expect(try await store.claim(item.id, leaseUntil: t(400), at: t(300)) != nil, "claimable after its next attempt")

        await expectStoreError(.invalidTransition, "failing a failed item") {
            let other = try await processing(store, text("f2"))
            try await store.fail(other.id, reason: "x", nextAttemptAt: t(60), countsAsAttempt: true, at: t(2))
            try await store.fail(other.id, reason: "y", nextAttemptAt: t(60), countsAsAttempt: true, at: t(3))
        }
        await expectStoreError(.invalidTransition, "failing a received item") {
            let other = try await accepted(store, text("f3"))
            try await store.fail(other.id, reason: "x", nextAttemptAt: t(60), countsAsAttempt: true, at: t(2))
        }
    }

    static func kill(_ store: any PipelineStore) async throws {
        let item = try await processing(store, text("d1"))
        try await store.fail(item.id, reason: "timeout", nextAttemptAt: t(10), countsAsAttempt: true, at: t(2))
        _ = try await store.claim(item.id, leaseUntil: t(100), at: t(10))
        try await store.kill(item.id, reason: "permanent: 100", at: t(11))
        let dead = try #require(try await store.item(item.id))
        #expect(dead.state == .dead && dead.attempts == 2 && dead.lastError == "permanent: 100")
        #expect(dead.leaseExpiresAt == nil && dead.nextAttemptAt == nil && dead.updatedAt == t(11))
        #expect(try await store.claim(item.id, leaseUntil: t(500), at: t(400)) == nil, "dead is not claimable")
        #expect(try await store.pending(at: t(400)).isEmpty, "dead is not pending")
        await expectStoreError(.invalidTransition, "killing a dead item") { try await store.kill(item.id, reason: "x", at: t(12)) }
        let received = try await accepted(store, text("d2"))
        await expectStoreError(.invalidTransition, "killing a received item") {
            try await store.kill(received.id, reason: "x", at: t(12))
        }
    }

    // MARK: - Start-up

    static func expire(_ store: any PipelineStore) async throws {
        // Event timestamps: "old" ones at 0…5 s, "new" ones at 100 s; the cutoff is 50 s.
        let oldReceived = try await accepted(store, text("o-received", at: 0))
        let oldFailed = try await processing(store, text("o-failed", at: 1))
        try await store.fail(oldFailed.id, reason: "x", nextAttemptAt: t(500), countsAsAttempt: true, at: t(2))
        let oldProcessing = try await processing(store, text("o-processing", at: 2), leaseUntil: t(10_000))
        let oldDone = try await processing(store, text("o-done", at: 3))
        try await store.complete(oldDone.id, at: t(4))
        let oldDead = try await processing(store, text("o-dead", at: 4))
        try await store.kill(oldDead.id, reason: "x", at: t(5))
        let oldIgnored = try await accepted(store, EventFactory.ignored(.read, from: "u1", id: "o-ignored"))
        let atCutoff = try await accepted(store, text("at-cutoff", at: 50))
        let fresh = try await accepted(store, text("fresh", at: 100))

        let expired = try await store.expire(before: t(50), at: t(1000))
        #expect(expired == 3, "received, failed and processing items older than the cutoff expire")
        for item in [oldReceived, oldFailed, oldProcessing] {
            let now = try #require(try await store.item(item.id))
            #expect(now.state == .expired && now.updatedAt == t(1000) && now.leaseExpiresAt == nil,
                    "\(item.event.platformMessageID) expired")
        }
        #expect(try await store.item(oldDone.id)?.state == .done)
        #expect(try await store.item(oldDead.id)?.state == .dead)
        // EventFactory.ignored is stamped 1_760_000_000 s, the base: older than the cutoff, still ignored.
        #expect(try await store.item(oldIgnored.id)?.state == .ignored)
        #expect(try await store.item(atCutoff.id)?.state == .received, "the cutoff itself is not before the cutoff")
        #expect(try await store.item(fresh.id)?.state == .received)
        #expect(try await store.claim(oldReceived.id, leaseUntil: t(2000), at: t(1001)) == nil, "expired is not claimable")
        #expect(try await store.expire(before: t(50), at: t(1002)) == 0, "expire is idempotent")
    }

    static func releaseAllLeases(_ store: any PipelineStore) async throws {
        let live = try await processing(store, text("r1"), leaseUntil: t(10_000))
        let lapsed = try await processing(store, text("r2"), leaseUntil: t(5))
        let waiting = try await accepted(store, text("r3"))
        let failed = try await processing(store, text("r4"))
        try await store.fail(failed.id, reason: "x", nextAttemptAt: t(60), countsAsAttempt: true, at: t(2))

        #expect(try await store.releaseAllLeases(at: t(20)) == 2)
        for item in [live, lapsed] {
            let now = try #require(try await store.item(item.id))
            #expect(now.state == .received && now.leaseExpiresAt == nil && now.updatedAt == t(20) && now.attempts == 0)
        }
        #expect(try await store.item(waiting.id)?.state == .received)
        #expect(try await store.item(failed.id)?.state == .failed, "failed items keep their state and attempts")
        #expect(try await store.item(failed.id)?.attempts == 1)
        #expect(try await store.claim(live.id, leaseUntil: t(100), at: t(21)) != nil, "a released item is claimable")
        #expect(try await store.releaseAllLeases(at: t(22)) == 1)
    }
}
