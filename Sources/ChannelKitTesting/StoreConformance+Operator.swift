import ChannelKit
import Foundation
import Testing

// Scenarios: listing, and what an operator does (retry, drop, counts).
extension StoreConformance {
    // MARK: - Listing

    static func pendingOrder(_ store: any PipelineStore) async throws {
        // Accepted out of order on purpose.
        let events = [
            text("b-u2-20", from: "u2", at: 20, account: "b"),
            text("a-u2-10", from: "u2", at: 10, account: "a"),
            text("a-u1-30", from: "u1", at: 30, account: "a"),
            text("a-u1-10", from: "u1", at: 10, account: "a"),
            text("a-u1-20-first", from: "u1", at: 20, account: "a"),
            text("a-u1-20-second", from: "u1", at: 20, account: "a"),
            text("z-chan", from: "u0", at: 0, channel: "zeta", account: "a"),
            text("a-chan", from: "u9", at: 99, channel: "alpha", account: "z"),
        ]
        let created = try await store.accept(events, at: t(0))
        #expect(created.count == events.count)
        let id = Dictionary(uniqueKeysWithValues: created.map { ($0.event.platformMessageID, $0.id) })

        // Change states: failed not yet due (pending), processing with a live lease (not
        // pending), processing with an expired lease (pending), done, dropped, plus an ignored one.
        let failed = try #require(id["a-u1-30"])
        _ = try await store.claim(failed, leaseUntil: t(100), at: t(1))
        try await store.fail(failed, reason: "x", nextAttemptAt: t(10_000), countsAsAttempt: true, at: t(2))
        let live = try #require(id["b-u2-20"])
        _ = try await store.claim(live, leaseUntil: t(10_000), at: t(1))
        let lapsed = try #require(id["a-u2-10"])
        _ = try await store.claim(lapsed, leaseUntil: t(50), at: t(1))
        let done = try #require(id["z-chan"])
        _ = try await store.claim(done, leaseUntil: t(50), at: t(1))
        try await store.complete(done, at: t(2))
        let dropped = try await accepted(store, text("a-u1-15-dropped", from: "u1", at: 15, account: "a"))
        _ = try await store.drop(dropped.id, at: t(3))
        _ = try await store.accept([EventFactory.ignored(.read, from: "u1", id: "ignored")], at: t(3))

        let pending = try await store.pending(at: t(60))
        #expect(pending.map(\.event.platformMessageID) == [
            "a-chan", "a-u1-10", "a-u1-20-first", "a-u1-20-second", "a-u1-30", "a-u2-10",
        ], "conversation (channel, account, sender), then platform timestamp, then id")
        #expect(pending.first { $0.id == failed }?.state == .failed)
        #expect(pending.first { $0.id == lapsed }?.state == .processing)
        #expect(try await store.pending(at: t(49)).map(\.id).contains(lapsed) == false, "a live lease is not pending")

        // What a rescan reads: the heads of the conversations that can be taken up now (not
        // the ones behind them, not a head under a live lease or not due), then the items it
        // does not have.
        #expect(Set(try await store.claimableHeadIDs(at: t(60))) == [id["a-chan"]!, id["a-u1-10"]!, lapsed])
        #expect(try await store.claimableHeadIDs(at: t(60)).count == 3, "each id once")
        #expect(Set(try await store.claimableHeadIDs(at: t(49))) == [id["a-chan"]!, id["a-u1-10"]!], "a live lease is not claimable")
        let ofU1 = try #require(pending.first { $0.id == id["a-u1-10"] }).event.conversation
        #expect(try await store.openHead(of: ofU1)?.id == id["a-u1-10"])
        let ofLive = try #require(try await store.item(live)).event.conversation
        #expect(try await store.openHead(of: ofLive)?.id == live, "a head under a live lease is still the head")
        let ofDone = try #require(try await store.item(done)).event.conversation
        #expect(try await store.openHead(of: ofDone) == nil, "nothing open")
        let wanted = [pending[4].id, pending[0].id, 9_999_999, pending[4].id, done]
        let fetched = try await store.items(withIDs: wanted)
        #expect(fetched.map(\.id) == [pending[0].id, pending[4].id, done].sorted(), "in id order, each once, unknown ids skipped")
        #expect(fetched.first { $0.id == failed } == pending.first { $0.id == failed })
        #expect(try await store.items(withIDs: []).isEmpty)
    }

    static func itemsInStates(_ store: any PipelineStore) async throws {
        let created = try await store.accept((0..<6).map { text("s\($0)", at: Int64(10 - $0)) }, at: t(0))
        for item in created.prefix(2) {
            _ = try await store.claim(item.id, leaseUntil: t(100), at: t(1))
            try await store.kill(item.id, reason: "x", at: t(2))
        }
        let dead = try await store.items(in: [.dead], limit: 10)
        #expect(dead.map(\.id) == created.prefix(2).map(\.id))
        let both = try await store.items(in: [.dead, .received], limit: 10)
        #expect(both.map(\.id) == created.map(\.id), "oldest first")
        #expect(try await store.items(in: [.dead, .received], limit: 3).map(\.id) == created.prefix(3).map(\.id), "at most limit")
        #expect(try await store.items(in: [.done], limit: 10).isEmpty)
        #expect(try await store.items(in: [], limit: 10).isEmpty)
        #expect(try await store.items(in: [.received], limit: 0).isEmpty)
    }

    // MARK: - Operator actions

    static func retry(_ store: any PipelineStore) async throws {
        let failed = try await processing(store, text("y-failed"))
        try await store.fail(failed.id, reason: "x", nextAttemptAt: t(10_000), countsAsAttempt: true, at: t(2))
        let dead = try await processing(store, text("y-dead"))
        try await store.kill(dead.id, reason: "x", at: t(2))
        let expired = try await accepted(store, text("y-expired", at: -100))
        _ = try await store.expire(before: t(-50), at: t(2))
        let live = try await processing(store, text("y-live"), leaseUntil: t(100))
        let lapsed = try await processing(store, text("y-lapsed"), leaseUntil: t(5))
        let received = try await accepted(store, text("y-received"))
        let done = try await processing(store, text("y-done"))
        try await store.complete(done.id, at: t(2))
        let ignored = try await accepted(store, EventFactory.ignored(.read, from: "u", id: "y-ignored"))

        for item in [failed, dead, expired, lapsed] {
            #expect(try await store.retry(item.id, at: t(10)), "\(item.event.platformMessageID) can be retried")
            let now = try #require(try await store.item(item.id))
            #expect(now.state == .received && now.attempts == 0 && now.nextAttemptAt == nil && now.leaseExpiresAt == nil,
                    "\(item.event.platformMessageID) is received with no attempts counted")
            #expect(now.updatedAt == t(10))
        }
        #expect(try await store.claim(failed.id, leaseUntil: t(100), at: t(11)) != nil, "a retried item is claimable at once")
        for item in [live, received, done, ignored] {
            #expect(try await store.retry(item.id, at: t(10)) == false, "\(item.event.platformMessageID) cannot be retried")
        }
        #expect(try await store.item(live.id)?.state == .processing)
        #expect(try await store.item(done.id)?.state == .done)
        #expect(try await store.retry(9_999_999, at: t(10)) == false)
    }

    static func drop(_ store: any PipelineStore) async throws {
        let received = try await accepted(store, text("p-received"))
        let processingItem = try await processing(store, text("p-processing"))
        let failed = try await processing(store, text("p-failed"))
        try await store.fail(failed.id, reason: "x", nextAttemptAt: t(60), countsAsAttempt: true, at: t(2))
        let done = try await processing(store, text("p-done"))
        try await store.complete(done.id, at: t(2))

        for item in [received, processingItem, failed] {
            #expect(try await store.drop(item.id, at: t(5)), "\(item.event.platformMessageID) can be dropped")
            let now = try #require(try await store.item(item.id))
            #expect(now.state == .dropped && now.updatedAt == t(5) && now.leaseExpiresAt == nil)
        }
        #expect(try await store.drop(done.id, at: t(5)) == false, "done cannot be dropped")
        #expect(try await store.drop(received.id, at: t(6)) == false, "dropping twice changes nothing")
        #expect(try await store.drop(9_999_999, at: t(6)) == false)
        #expect(try await store.accept([text("p-received"), text("p-failed")], at: t(7)).isEmpty, "a dropped key still dedups")
        #expect(try await store.claim(received.id, leaseUntil: t(100), at: t(100)) == nil, "dropped is not claimable")
        #expect(try await store.pending(at: t(100)).isEmpty, "dropped is not pending")
        #expect(try await store.retry(received.id, at: t(8)) == false, "dropped cannot be retried")
        await expectStoreError(.invalidTransition, "completing a dropped item") {
            try await store.complete(processingItem.id, at: t(9))
        }
    }

    static func counts(_ store: any PipelineStore) async throws {
        let empty = try await store.counts()
        #expect(Set(empty.keys) == Set(InboxState.allCases), "every state has a count")
        #expect(empty.values.allSatisfy { $0 == 0 })

        _ = try await store.accept([text("n1"), text("n2"), text("n3")], at: t(0))
        _ = try await store.accept([EventFactory.ignored(.echo, from: "u", id: "n-echo")], at: t(0))
        let p = try await processing(store, text("n4"))
        let d = try await processing(store, text("n5"))
        try await store.complete(d.id, at: t(2))
        let f = try await processing(store, text("n6"))
        try await store.fail(f.id, reason: "x", nextAttemptAt: t(60), countsAsAttempt: true, at: t(2))
        let k = try await processing(store, text("n7"))
        try await store.kill(k.id, reason: "x", at: t(2))
        let x = try await accepted(store, text("n8"))
        _ = try await store.drop(x.id, at: t(2))
        let e = try await accepted(store, text("n9", at: -100))
        _ = try await store.expire(before: t(-50), at: t(3))
        _ = p; _ = e

        let counts = try await store.counts()
        #expect(counts == [.received: 3, .processing: 1, .done: 1, .failed: 1, .dead: 1, .expired: 1, .ignored: 1, .dropped: 1])
    }
}
