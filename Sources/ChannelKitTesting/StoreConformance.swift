import ChannelKit
import Foundation
import Testing

/// The conformance suite every ``PipelineStore`` implementation runs.
///
/// ```swift
/// @Test func conforms() async throws {
///     try await StoreConformance.run { InMemoryStore() }
/// }
/// ```
/// Each scenario gets a store of its own from `makeStore`, so one failure does not hide
/// another. Times are explicit, whole milliseconds (the precision every store keeps); nothing
/// sleeps.
public enum StoreConformance {
    /// Runs every scenario; failures are recorded as test issues, with the scenario's name.
    public static func run(_ makeStore: @Sendable () async throws -> any PipelineStore) async throws {
        for (name, scenario) in scenarios {
            let store = try await makeStore()
            do {
                try await scenario(store)
            } catch {
                Issue.record("store conformance, \(name): unexpected error \(error)")
            }
        }
    }

    typealias Scenario = @Sendable (any PipelineStore) async throws -> Void

    static let scenarios: [(String, Scenario)] = [
        ("accept creates items", acceptCreatesItems),
        ("dedup across calls", dedupAcrossCalls),
        ("dedup within one call", dedupWithinOneCall),
        ("50 concurrent accepts of one event", concurrentAcceptsOfOneEvent),
        ("concurrent accepts of distinct events", concurrentAcceptsOfDistinctEvents),
        ("claim rules", claimRules),
        ("claim exclusivity", claimExclusivity),
        ("lease renewal", leaseRenewal),
        ("complete", complete),
        ("fail and the next attempt", failAndNextAttempt),
        ("kill", kill),
        ("expire", expire),
        ("release all leases", releaseAllLeases),
        ("unfinished claims", unfinishedClaims),
        ("pending order", pendingOrder),
        ("items in states", itemsInStates),
        ("retry", retry),
        ("drop", drop),
        ("counts", counts),
        ("recordReply and parts", recordReply),
        ("recordReply idempotency", recordReplyIdempotency),
        ("recordReply atomicity", recordReplyAtomicity),
        ("markSent and markFailed", markSentAndFailed),
        ("replaceRefusedPart", replaceRefusedPart),
        ("history order and limits", historyOrderAndLimits),
        ("shared history across a person's conversations", sharedHistory),
        ("millisecond timestamps", millisecondTimestamps),
        ("rich events round-trip", richEventsRoundTrip),
        ("redact", redact),
        ("a person's ids keep one conversation", personAliases),
        ("the pipeline's claim: a conversation's oldest open message first", headClaims),
        ("fencing: a worker whose lease was taken over writes nothing", fencing),
        ("a host releases its own leases only", releaseOwnLeases),
        ("erasing a person follows every id they are known by", erasureFollowsAliases),
        ("erase a person", erase),
        ("retention sweep", retentionSweep),
    ]

    // MARK: - Helpers

    /// The base of every time in the suite: 2025-10-09T08:53:20Z.
    static let baseMilliseconds: Int64 = 1_760_000_000_000

    /// A time `seconds` (plus `milliseconds`) after the base, with whole milliseconds.
    static func t(_ seconds: Int64, ms milliseconds: Int64 = 0) -> Date {
        Date(timeIntervalSince1970: Double(baseMilliseconds + seconds * 1000 + milliseconds) / 1000)
    }

    /// A text message from `sender`, `seconds` after the base.
    static func text(_ id: String, from sender: String = "u1", at seconds: Int64 = 0, channel: String = "test",
                     account: String = "acct") -> InboundEvent {
        EventFactory.text("text of \(id)", from: sender, id: id, channel: channel, account: account,
                          at: baseMilliseconds + seconds * 1000)
    }

    /// Accepts one event and returns its new item.
    static func accepted(_ store: any PipelineStore, _ event: InboundEvent, at now: Date = t(0)) async throws -> InboxItem {
        let created = try await store.accept([event], at: now)
        guard let item = created.first else {
            throw StoreError(.invalidTransition, "accept created nothing for \(event.platformMessageID)")
        }
        return item
    }

    /// Accepts and claims one event.
    static func processing(_ store: any PipelineStore, _ event: InboundEvent, leaseUntil: Date = t(100),
                           at now: Date = t(1)) async throws -> InboxItem {
        let item = try await accepted(store, event, at: now)
        guard let claimed = try await store.claim(item.id, leaseUntil: leaseUntil, at: now) else {
            throw StoreError(.invalidTransition, "could not claim \(item.id)")
        }
        return claimed
    }

    /// Expects `body` to throw a ``StoreError`` with `code`.
    static func expectStoreError(_ code: StoreError.Code, _ what: String,
                                 sourceLocation: SourceLocation = #_sourceLocation,
                                 _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("\(what): expected StoreError(.\(code.rawValue)), nothing was thrown", sourceLocation: sourceLocation)
        } catch let error as StoreError {
            #expect(error.code == code, "\(what): \(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(what): expected StoreError(.\(code.rawValue)), got \(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: - Accept and dedup

    /// What the person typed is replaced, the rest of the event and the item stay; the key
    /// still deduplicates; an unknown id answers false.
    static func redact(_ store: any PipelineStore) async throws {
        let event = text("secret", at: 3)
        let item = try await processing(store, event)
        #expect(try await store.redact(item.id, at: t(5)))
        let after = try #require(try await store.item(item.id))
        #expect(after.event == event.redacted)
        #expect(after.state == .processing && after.event.platformMessageID == "secret")
        guard case .message(let message) = after.event.kind else { Issue.record("redact changed the event's kind"); return }
        #expect(message.text == InboundEvent.redactedText)
        #expect(try await store.accept([event], at: t(6)).isEmpty)
        #expect(try await store.redact(987_654, at: t(7)) == false)
    }

    static func acceptCreatesItems(_ store: any PipelineStore) async throws {
        let events = [text("m1", at: 1), EventFactory.ignored(.read, from: "u1", id: "r1"), text("m2", from: "u2", at: 2)]
        let created = try await store.accept(events, at: t(10))
        #expect(created.map(\.event) == events, "created items follow the input order")
        #expect(created.map(\.state) == [.received, .ignored, .received], "answerable → received, else ignored")
        #expect(Set(created.map(\.id)).count == 3, "ids are distinct")
        #expect(created.map(\.id) == created.map(\.id).sorted(), "ids grow in input order")
        for item in created {
            #expect(item.attempts == 0)
            #expect(item.nextAttemptAt == nil && item.leaseExpiresAt == nil && item.lastError == nil)
            #expect(item.receivedAt == t(10) && item.updatedAt == t(10))
            #expect(try await store.item(item.id) == item, "item(id) returns what accept returned")
        }
        #expect(try await store.item(9_999_999) == nil, "an unknown id has no item")
        #expect(try await store.accept([], at: t(11)).isEmpty)
    }

    static func dedupAcrossCalls(_ store: any PipelineStore) async throws {
        let first = try await store.accept([text("a")], at: t(0))
        #expect(first.count == 1)
        let second = try await store.accept([text("a"), text("b")], at: t(1))
        #expect(second.map(\.event.platformMessageID) == ["b"], "a known key creates nothing")
        var changed = text("a", from: "someone-else", at: 50)
        changed.kind = .message(InboundMessage(text: "different text"))
        #expect(try await store.accept([changed], at: t(2)).isEmpty, "the key is (channel, platform id) only")
        let otherChannel = try await store.accept([text("a", channel: "other")], at: t(3))
        #expect(otherChannel.count == 1, "the same platform id on another channel is another event")
        // A known key creates nothing whatever its state.
        let id = try #require(first.first?.id)
        _ = try await store.claim(id, leaseUntil: t(100), at: t(4))
        try await store.complete(id, at: t(5))
        #expect(try await store.accept([text("a")], at: t(6)).isEmpty, "a done item's key still dedups")
        #expect(try await store.accept([EventFactory.ignored(.echo, from: "u", id: "e1")], at: t(7)).count == 1)
        #expect(try await store.accept([EventFactory.ignored(.echo, from: "u", id: "e1")], at: t(8)).isEmpty,
                "an ignored item's key dedups too")
        #expect(try await store.items(in: Set(InboxState.allCases), limit: 100).count == 4)
    }

    static func dedupWithinOneCall(_ store: any PipelineStore) async throws {
        var repeated = text("x")
        repeated.kind = .message(InboundMessage(text: "second copy"))
        let created = try await store.accept([text("x"), text("y"), repeated, text("y"), text("z")], at: t(0))
        #expect(created.map(\.event.platformMessageID) == ["x", "y", "z"])
        #expect(created.first?.event == text("x"), "the first copy of a repeated key is the one kept")
    }

    static func concurrentAcceptsOfOneEvent(_ store: any PipelineStore) async throws {
        let event = text("once")
        let createdCounts = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<50 {
                group.addTask { try await store.accept([event], at: t(Int64(i))).count }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(createdCounts.reduce(0, +) == 1, "exactly one of 50 concurrent deliveries sees the event as new")
        #expect(try await store.counts()[.received] == 1)
    }

    static func concurrentAcceptsOfDistinctEvents(_ store: any PipelineStore) async throws {
        let ids = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for i in 0..<40 {
                group.addTask { try await store.accept([text("d\(i)"), text("d\(i)-b")], at: t(1)).map(\.id) }
            }
            return try await group.reduce(into: [Int64]()) { $0 += $1 }
        }
        #expect(ids.count == 80 && Set(ids).count == 80, "every distinct event lands once, with its own id")
        #expect(try await store.counts()[.received] == 80)
    }

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

        // What a rescan reads: the ids alone, then the items it does not have.
        #expect(Set(try await store.pendingIDs(at: t(60))) == Set(pending.map(\.id)))
        #expect(try await store.pendingIDs(at: t(60)).count == pending.count, "each id once")
        #expect(try await store.pendingIDs(at: t(49)).contains(lapsed) == false, "a live lease is not pending")
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

    // MARK: - Outbox

    static let conversation = ConversationKey(channel: "test", accountID: "acct", userID: "u1")

    static func recordReply(_ store: any PipelineStore) async throws {
        let item = try await processing(store, text("o1"))
        let messages = [
            OutboundMessage(text: "first part"),
            OutboundMessage(text: "second part ✨", quickReplies: [QuickReply(title: "Yes", payload: "YES"),
                                                                  QuickReply(title: "No", payload: "NO")]),
        ]
        let turns = [ConversationTurn(role: .user, text: "question", timestamp: t(0)),
                     ConversationTurn(role: .assistant, text: "**answer**", timestamp: t(3))]
        let parts = try await store.recordReply(for: item.id, parts: messages, conversation: conversation, turns: turns, at: t(3))
        #expect(parts.map(\.id) == ["\(item.id).0", "\(item.id).1"])
        #expect(parts.map(\.index) == [0, 1])
        #expect(parts.map(\.message) == messages)
        #expect(parts.allSatisfy { $0.inboxID == item.id && $0.state == .pending && $0.platformMessageID == nil && $0.lastError == nil })
        #expect(try await store.parts(for: item.id) == parts, "parts(for:) returns the recorded parts in order")
        #expect(try await store.history(of: conversation, limit: 10) == turns, "the reply's turns are appended")
        #expect(try await store.parts(for: 9_999_999).isEmpty)

        // Many parts keep their order (10 sorts before 2 as text).
        let other = try await processing(store, text("o2"))
        let many = (0..<12).map { OutboundMessage(text: "part \($0)") }
        let manyParts = try await store.recordReply(for: other.id, parts: many, conversation: conversation, turns: [], at: t(4))
        #expect(manyParts.map(\.index) == Array(0..<12))
        #expect(try await store.parts(for: other.id).map(\.message) == many)

        // Only the item's worker records a reply: not for an item received (never claimed) or
        // finished meanwhile (an erasure, a drop); nothing is kept.
        let unclaimed = try await accepted(store, text("o3"))
        let dropped = try await processing(store, text("o4"))
        #expect(try await store.drop(dropped.id, at: t(5)))
        for id in [unclaimed.id, dropped.id] {
            await expectStoreError(.invalidTransition, "a reply to an item not processing") {
                _ = try await store.recordReply(for: id, parts: [OutboundMessage(text: "late")], conversation: conversation,
                                                turns: [ConversationTurn(role: .assistant, text: "late", timestamp: t(6))], at: t(6))
            }
            #expect(try await store.parts(for: id).isEmpty)
        }
        #expect(try await store.history(of: conversation, limit: 10) == turns, "no turn of a refused reply is kept")
    }

    static func recordReplyIdempotency(_ store: any PipelineStore) async throws {
        let item = try await processing(store, text("i1"))
        let turns = [ConversationTurn(role: .user, text: "hi", timestamp: t(0)),
                     ConversationTurn(role: .assistant, text: "hello", timestamp: t(2))]
        let first = try await store.recordReply(for: item.id, parts: [OutboundMessage(text: "hello")],
                                                conversation: conversation, turns: turns, at: t(2))
        try await store.markSent(first[0].id, platformMessageID: "mid.1", at: t(3))
        let second = try await store.recordReply(for: item.id, parts: [OutboundMessage(text: "other"), OutboundMessage(text: "more")],
                                                 conversation: conversation,
                                                 turns: [ConversationTurn(role: .assistant, text: "other", timestamp: t(4))], at: t(4))
        #expect(second.count == 1 && second.first?.message.text == "hello", "the existing parts are returned")
        #expect(second.first?.state == .sent && second.first?.platformMessageID == "mid.1", "as they stand now")
        #expect(try await store.parts(for: item.id) == second, "nothing was re-recorded")
        #expect(try await store.history(of: conversation, limit: 10) == turns, "turns are not appended twice")

        // Concurrent recordings of one reply: one set of parts, one set of turns.
        let racing = try await processing(store, text("i2"))
        let key = ConversationKey(channel: "test", accountID: "acct", userID: "racer")
        let results = try await withThrowingTaskGroup(of: [OutboxPart].self) { group in
            for i in 0..<10 {
                group.addTask {
                    try await store.recordReply(for: racing.id, parts: [OutboundMessage(text: "reply \(i)")], conversation: key,
                                                turns: [ConversationTurn(role: .assistant, text: "reply \(i)", timestamp: t(5))],
                                                at: t(5))
                }
            }
            return try await group.reduce(into: [[OutboxPart]]()) { $0.append($1) }
        }
        #expect(Set(results).count == 1, "every concurrent caller gets the same parts")
        #expect(try await store.history(of: key, limit: 100).count == 1, "only one caller's turns are appended")
    }

    static func recordReplyAtomicity(_ store: any PipelineStore) async throws {
        let key = ConversationKey(channel: "test", accountID: "acct", userID: "nobody")
        await expectStoreError(.invalidTransition, "recording a reply to an unknown inbox item") {
            _ = try await store.recordReply(for: 9_999_999, parts: [OutboundMessage(text: "x")], conversation: key,
                                            turns: [ConversationTurn(role: .assistant, text: "x", timestamp: t(1))], at: t(1))
        }
        #expect(try await store.parts(for: 9_999_999).isEmpty, "no part of a refused reply is recorded")
        #expect(try await store.history(of: key, limit: 10).isEmpty, "no turn of a refused reply is recorded")
    }

    static func markSentAndFailed(_ store: any PipelineStore) async throws {
        let item = try await processing(store, text("s1"))
        let parts = try await store.recordReply(for: item.id, parts: [OutboundMessage(text: "a"), OutboundMessage(text: "b"),
                                                                      OutboundMessage(text: "c")],
                                                conversation: conversation, turns: [], at: t(2))
        try await store.markSent(parts[0].id, platformMessageID: "mid.a", at: t(3))
        try await store.markSent(parts[1].id, platformMessageID: nil, at: t(3))
        try await store.markFailed(parts[2].id, reason: "permanent: 551", at: t(4))
        let now = try await store.parts(for: item.id)
        #expect(now.map(\.state) == [.sent, .sent, .failed])
        #expect(now.map(\.platformMessageID) == ["mid.a", nil, nil])
        #expect(now.map(\.lastError) == [nil, nil, "permanent: 551"])
        #expect(now.map(\.message.text) == ["a", "b", "c"])

        await expectStoreError(.invalidTransition, "marking a sent part sent") {
            try await store.markSent(parts[0].id, platformMessageID: "again", at: t(5))
        }
        await expectStoreError(.invalidTransition, "marking a sent part failed") {
            try await store.markFailed(parts[1].id, reason: "x", at: t(5))
        }
        await expectStoreError(.invalidTransition, "marking a failed part sent") {
            try await store.markSent(parts[2].id, platformMessageID: "x", at: t(5))
        }
        await expectStoreError(.invalidTransition, "marking an unknown part sent") {
            try await store.markSent("\(item.id).9", platformMessageID: "x", at: t(5))
        }
        await expectStoreError(.invalidTransition, "marking a malformed part id failed") {
            try await store.markFailed("not-a-part", reason: "x", at: t(5))
        }
        #expect(try await store.parts(for: item.id) == now, "refused transitions change nothing")
    }

    // MARK: - Conversation history

    static func historyOrderAndLimits(_ store: any PipelineStore) async throws {
        let a = ConversationKey(channel: "test", accountID: "acct", userID: "a")
        let b = ConversationKey(channel: "test", accountID: "acct", userID: "b")
        let other = ConversationKey(channel: "other", accountID: "acct", userID: "a")
        #expect(try await store.history(of: a, limit: 10).isEmpty)

        let turns = (0..<5).map { ConversationTurn(role: $0.isMultiple(of: 2) ? .user : .assistant, text: "turn \($0)", timestamp: t(Int64($0))) }
        try await store.append(Array(turns.prefix(2)), to: a)
        try await store.append(Array(turns.suffix(3)), to: a)
        try await store.append([ConversationTurn(role: .user, text: "b's", timestamp: t(1))], to: b)
        try await store.append([], to: b)
        #expect(try await store.history(of: a, limit: 10) == turns, "oldest first")
        #expect(try await store.history(of: a, limit: 3) == Array(turns.suffix(3)), "the last `limit` turns")
        #expect(try await store.history(of: a, limit: 0).isEmpty)
        #expect(try await store.history(of: b, limit: 10).map(\.text) == ["b's"], "conversations are separate")
        #expect(try await store.history(of: other, limit: 10).isEmpty, "the channel is part of the conversation")

        // Append order wins over timestamps; at most 200 turns are kept per conversation.
        let long = ConversationKey(channel: "test", accountID: "acct", userID: "long")
        for chunk in 0..<5 {
            try await store.append((0..<50).map { i in
                ConversationTurn(role: .user, text: "long \(chunk * 50 + i)", timestamp: t(Int64(1000 - chunk * 50 - i)))
            }, to: long)
        }
        let kept = try await store.history(of: long, limit: 1000)
        #expect(kept.count == 200, "history keeps the last 200 turns of a conversation")
        #expect(kept.first?.text == "long 50" && kept.last?.text == "long 249")
        #expect(try await store.history(of: a, limit: 10).count == 5, "trimming one conversation leaves the others")
    }

    static func sharedHistory(_ store: any PipelineStore) async throws {
        let instagram = ConversationKey(channel: "instagram", accountID: "ig-acct", userID: "ig-alice")
        let instagramOtherAccount = ConversationKey(channel: "instagram", accountID: "ig-acct-2", userID: "ig-alice")
        let whatsapp = ConversationKey(channel: "whatsapp", accountID: "wa-acct", userID: "wa-alice")
        let stranger = ConversationKey(channel: "instagram", accountID: "ig-acct", userID: "ig-bob")
        let alice = [ChannelIdentity(channel: "instagram", userID: "ig-alice"), ChannelIdentity(channel: "whatsapp", userID: "wa-alice")]
        func turn(_ text: String, _ seconds: Int64, _ role: ConversationTurn.Role = .user) -> ConversationTurn {
            ConversationTurn(role: role, text: text, timestamp: t(seconds))
        }
        #expect(try await store.sharedHistory(of: alice, limit: 10).isEmpty)
        try await store.append([turn("ig 1", 1), turn("ig 2", 2, .assistant)], to: instagram)
        try await store.append([turn("wa 1", 3), turn("wa 2", 4, .assistant)], to: whatsapp)
        try await store.append([turn("ig 3", 5), turn("ig 4", 6, .assistant)], to: instagram)
        try await store.append([turn("other account", 7)], to: instagramOtherAccount)
        try await store.append([turn("bob", 4)], to: stranger)

        #expect(try await store.sharedHistory(of: alice, limit: 10).map(\.text) == ["ig 1", "ig 2", "wa 1", "wa 2", "ig 3", "ig 4", "other account"],
                "every conversation of the people, with any account, merged by time; nobody else's")
        #expect(try await store.sharedHistory(of: alice, limit: 3).map(\.text) == ["ig 3", "ig 4", "other account"], "the last `limit`")
        #expect(try await store.sharedHistory(of: alice, limit: 0).isEmpty)
        #expect(try await store.sharedHistory(of: [], limit: 10).isEmpty)
        #expect(try await store.sharedHistory(of: [alice[1]], limit: 10).map(\.text) == ["wa 1", "wa 2"])
        #expect(try await store.sharedHistory(of: alice, limit: 10).first == turn("ig 1", 1), "turns round-trip")

        // Equal timestamps keep the order of appends.
        let tie = ConversationKey(channel: "whatsapp", accountID: "wa-acct", userID: "wa-tie")
        let tieOther = ConversationKey(channel: "instagram", accountID: "ig-acct", userID: "ig-tie")
        try await store.append([turn("first", 50)], to: tie)
        try await store.append([turn("second", 50)], to: tieOther)
        try await store.append([turn("third", 50)], to: tie)
        let tied = [ChannelIdentity(channel: "whatsapp", userID: "wa-tie"), ChannelIdentity(channel: "instagram", userID: "ig-tie")]
        #expect(try await store.sharedHistory(of: tied, limit: 10).map(\.text) == ["first", "second", "third"])
    }

    // MARK: - Round trips

    static func millisecondTimestamps(_ store: any PipelineStore) async throws {
        let event = EventFactory.text("ms", from: "u1", id: "ms1", at: baseMilliseconds + 123)
        let item = try await accepted(store, event, at: t(1, ms: 7))
        #expect(item.receivedAt == t(1, ms: 7))
        _ = try await store.claim(item.id, leaseUntil: t(30, ms: 456), at: t(2, ms: 1))
        #expect(try await store.item(item.id)?.leaseExpiresAt == t(30, ms: 456))
        #expect(try await store.item(item.id)?.updatedAt == t(2, ms: 1))
        try await store.fail(item.id, reason: "x", nextAttemptAt: t(60, ms: 789), countsAsAttempt: true, at: t(3, ms: 999))
        let failed = try #require(try await store.item(item.id))
        #expect(failed.nextAttemptAt == t(60, ms: 789) && failed.updatedAt == t(3, ms: 999) && failed.receivedAt == t(1, ms: 7))
        #expect(failed.event.timestamp == Date(timeIntervalSince1970: Double(baseMilliseconds + 123) / 1000))
        #expect(try await store.claim(item.id, leaseUntil: t(100), at: t(60, ms: 788)) == nil, "one millisecond early")
        #expect(try await store.claim(item.id, leaseUntil: t(100), at: t(60, ms: 789)) != nil, "on the millisecond")

        let key = ConversationKey(channel: "test", accountID: "acct", userID: "ms")
        let turns = [ConversationTurn(role: .user, text: "q", timestamp: t(5, ms: 1)),
                     ConversationTurn(role: .assistant, text: "a", timestamp: t(5, ms: 999))]
        try await store.append(turns, to: key)
        #expect(try await store.history(of: key, limit: 2) == turns)

        let old = try await accepted(store, EventFactory.text("old", from: "u1", id: "ms2", at: baseMilliseconds - 1))
        #expect(try await store.expire(before: t(0), at: t(9)) == 1, "expire compares platform timestamps to the millisecond")
        #expect(try await store.item(old.id)?.state == .expired)
    }

    static func richEventsRoundTrip(_ store: any PipelineStore) async throws {
        let referral = Referral(ref: "spring-promo", source: "ADS", type: "OPEN_THREAD")
        let message = InboundMessage(
            text: "Bonjour 👋🏽 — “quotes”, \"escapes\", new\nline, tab\t, and \u{0000}NUL",
            attachments: [
                Attachment(kind: .image, platformType: "image", url: "https://cdn.example/a.jpg?sig=1&x=2", mediaID: "m-1",
                           mimeType: "image/jpeg", title: "a caption"),
                Attachment(kind: .reel, platformType: "ig_reel", url: nil, mediaID: nil, mimeType: nil, title: nil),
                Attachment(kind: .audio, platformType: "audio", url: "https://cdn.example/v.mp4", mediaID: "m-3",
                           mimeType: "audio/mp4", title: ""),
            ],
            quickReplyPayload: "PAYLOAD_1",
            replyTo: .story(id: "story-1", url: "https://cdn.example/story"),
            referral: referral
        )
        let events = [
            InboundEvent(channel: "instagram", accountID: "17841400000000000", senderID: "123456789012345",
                         platformMessageID: "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAw", timestamp: t(1, ms: 42),
                         kind: .message(message)),
            InboundEvent(channel: "instagram", accountID: "acct", senderID: "u1", platformMessageID: "reply-to-message",
                         timestamp: t(2), kind: .message(InboundMessage(text: nil, replyTo: .message(id: "earlier")))),
            InboundEvent(channel: "instagram", accountID: "acct", senderID: "u1", platformMessageID: "story-no-url",
                         timestamp: t(2), kind: .message(InboundMessage(text: "", replyTo: .story(id: "s", url: nil)))),
            InboundEvent(channel: "instagram", accountID: "acct", senderID: "u1", platformMessageID: "postback-1",
                         timestamp: t(3), kind: .postback(Postback(title: "Get started", payload: "GET_STARTED", referral: referral))),
            InboundEvent(channel: "instagram", accountID: "acct", senderID: "u1", platformMessageID: "postback-empty",
                         timestamp: t(3), kind: .postback(Postback())),
            InboundEvent(channel: "instagram", accountID: "acct", senderID: "u1", platformMessageID: "reaction-1",
                         timestamp: t(4), kind: .ignored(IgnoredEvent(reason: .reaction, targetMessageID: "mid.9", detail: "❤️"))),
        ]
        let created = try await store.accept(events, at: t(10))
        #expect(created.map(\.event) == events)
        for (event, item) in zip(events, created) {
            let stored = try #require(try await store.item(item.id))
            #expect(stored.event == event, "\(event.platformMessageID) round-trips exactly")
        }
        let pending = try await store.pending(at: t(10))
        #expect(Set(pending.map(\.event)) == Set(events.filter(\.isAnswerable)))
    }
}
