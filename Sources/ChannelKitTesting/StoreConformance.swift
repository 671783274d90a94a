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
        ("a part found by the platform's message id", partByPlatformMessageID),
        ("history order and limits", historyOrderAndLimits),
        ("shared history across a person's conversations", sharedHistory),
        ("millisecond timestamps", millisecondTimestamps),
        ("rich events round-trip", richEventsRoundTrip),
        ("the trace context kept at accept comes back with every read", traceContextRoundTrip),
        ("redact", redact),
        ("a person's ids keep one conversation", personAliases),
        ("the pipeline's claim: a conversation's oldest open message first", headClaims),
        ("fencing: a worker whose lease was taken over writes nothing", fencing),
        ("a host releases its own leases only", releaseOwnLeases),
        ("erasing a person follows every id they are known by", erasureFollowsAliases),
        ("erase a person", erase),
        ("retention sweep", retentionSweep),
        ("the recent conversations, each with its last turn", recentConversations),
        ("the claim reads the conversation's takeover state with it", claimReadsConversationControl),
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
}
