import ChannelKit
import ChannelKitTesting
import Foundation
import PostgresNIO
@testable import PostgreSQLStorage
import PostgreSQLTesting
import Testing

/// What one answered message costs in statements, and the accepts written together: each
/// statement is a round trip and ~175k host instructions, so these counts are the store's
/// share of a message's cost.
@Suite("PostgreSQLStore: statements per message, accepts written together")
struct PostgreSQLStatementTests {
    let now = Date(timeIntervalSince1970: 1_760_000_100)
    let conversation = ConversationKey(channel: "test", accountID: "acct", userID: "u1")

    /// The statements `body` ran on `store`.
    func statements(_ store: PostgreSQLStore, _ body: () async throws -> Void) async rethrows -> Int {
        let before = store.statementsRun
        try await body()
        return store.statementsRun - before
    }

    @Test("an answered message: accepted in 2 statements, claimed in 1, its reply recorded in 1, sent and completed in 1")
    func answeredMessage() async throws {
        let store = try await PostgreSQLStore.open(url: try await TestPostgreSQLCluster.shared().createDatabase(), poolSize: 4,
                                                   logger: quietLogger)
        var created: [InboxItem] = []
        #expect(try await statements(store) { created = try await store.accept([EventFactory.text("hi", from: "u1", id: "m1")], at: now) } == 2)
        let id = try #require(created.first?.id)
        var claim = HeadClaim.finished
        #expect(try await statements(store) { claim = try await store.claimHead(id, owner: "w", leaseUntil: now + 60, at: now) } == 1)
        guard case .claimed(let item) = claim else { Issue.record("not claimed: \(claim)"); return }
        let fence = LeaseFence(item)
        let turns = [ConversationTurn(role: .user, text: "hi", timestamp: now), ConversationTurn(role: .assistant, text: "hello", timestamp: now)]
        var parts: [OutboxPart] = []
        #expect(try await statements(store) {
            parts = try await store.recordReply(for: id, parts: [OutboundMessage(text: "hel"), OutboundMessage(text: "lo")],
                                                conversation: conversation, turns: turns, fence: fence, at: now)
        } == 1)
        #expect(parts.map(\.id) == ["\(id).0", "\(id).1"] && parts.map(\.index) == [0, 1] && parts.allSatisfy { $0.state == .pending })
        #expect(try await store.parts(for: id).map(\.message) == [OutboundMessage(text: "hel"), OutboundMessage(text: "lo")])
        #expect(try await store.history(of: conversation, limit: 10).map(\.text) == ["hi", "hello"])
        try await store.markSent(parts[0].id, platformMessageID: "out-0", fence: fence, at: now)
        #expect(try await statements(store) {
            try await store.markSentAndComplete(parts[1].id, platformMessageID: "out-1", inboxID: id, fence: fence, at: now)
        } == 1)
        #expect(try await store.item(id)?.state == .done)
        #expect(try await store.parts(for: id).map(\.state) == [.sent, .sent])
        #expect(try await store.parts(for: id).map(\.platformMessageID) == ["out-0", "out-1"])
        await store.close()
    }

    @Test("the one-statement writes refuse what the transactions refused: a second recording returns the first reply, a lost lease writes nothing")
    func refusals() async throws {
        let store = try await PostgreSQLStore.open(url: try await TestPostgreSQLCluster.shared().createDatabase(), poolSize: 4,
                                                   logger: quietLogger)
        let id = try #require(try await store.accept([EventFactory.text("hi", from: "u1", id: "m1")], at: now).first?.id)
        guard case .claimed(let first) = try await store.claimHead(id, owner: "a", leaseUntil: now + 1, at: now) else {
            Issue.record("not claimed"); return
        }
        let turns = [ConversationTurn(role: .user, text: "hi", timestamp: now)]
        let recorded = try await store.recordReply(for: id, parts: [OutboundMessage(text: "first")], conversation: conversation,
                                                   turns: turns, fence: LeaseFence(first), at: now)
        let again = try await store.recordReply(for: id, parts: [OutboundMessage(text: "second")], conversation: conversation,
                                                turns: turns, fence: LeaseFence(first), at: now)
        #expect(again.map(\.id) == recorded.map(\.id) && again.map(\.message) == [OutboundMessage(text: "first")])
        #expect(try await store.history(of: conversation, limit: 10).count == 1, "the second recording added no turn")

        // The lease lapses and another worker claims the item: the first worker's writes are refused.
        guard case .claimed(let second) = try await store.claimHead(id, owner: "b", leaseUntil: now + 120, at: now + 60) else {
            Issue.record("not claimed again"); return
        }
        #expect(second.claimEpoch == first.claimEpoch + 1)
        await #expect(throws: StoreError.self) {
            try await store.markSentAndComplete(recorded[0].id, platformMessageID: "x", inboxID: id, fence: LeaseFence(first), at: now + 61)
        }
        #expect(try await store.parts(for: id).map(\.state) == [.pending], "a lost lease marks nothing sent")
        #expect(try await store.item(id)?.state == .processing)
        do {
            try await store.markSentAndComplete(recorded[0].id, platformMessageID: "x", inboxID: id, fence: LeaseFence(first), at: now + 61)
        } catch let error as StoreError {
            #expect(error.code == .leaseLost)
        }
        // The worker holding the lease completes it.
        try await store.markSentAndComplete(recorded[0].id, platformMessageID: "x", inboxID: id, fence: LeaseFence(second), at: now + 62)
        #expect(try await store.item(id)?.state == .done)
        await store.close()
    }

    @Test("a reply recorded when the history is full keeps the newest turns up to the capacity, the new ones last")
    func historyAtCapacity() async throws {
        let store = try await PostgreSQLStore.open(url: try await TestPostgreSQLCluster.shared().createDatabase(), poolSize: 4,
                                                   logger: quietLogger)
        let capacity = PostgreSQLStore.historyCapacity
        let old = (0..<capacity).map { ConversationTurn(role: .user, text: "old \($0)", timestamp: now) }
        try await store.append(old, to: conversation)
        let id = try #require(try await store.accept([EventFactory.text("hi", from: "u1", id: "m1")], at: now).first?.id)
        guard case .claimed(let item) = try await store.claimHead(id, owner: "w", leaseUntil: now + 60, at: now) else {
            Issue.record("not claimed"); return
        }
        let turns = [ConversationTurn(role: .user, text: "new question", timestamp: now),
                     ConversationTurn(role: .assistant, text: "new answer", timestamp: now)]
        let used = try await statements(store) {
            _ = try await store.recordReply(for: id, parts: [OutboundMessage(text: "a")], conversation: conversation, turns: turns,
                                            fence: LeaseFence(item), at: now)
        }
        #expect(used == 1)
        let history = try await store.history(of: conversation, limit: capacity + 10)
        #expect(history.count == capacity)
        #expect(history.first?.text == "old 2" && history.suffix(2).map(\.text) == ["new question", "new answer"])
        await store.close()
    }

    // MARK: - Accepts written together

    /// Runs `body` while another connection holds the inbox table locked against inserts, so
    /// that accepts queue up behind the writes it blocks; the lock goes when `body` returns.
    func withInboxLocked<Value: Sendable>(_ url: String, _ body: () async throws -> Value) async throws -> Value {
        let database = String(url.split(separator: "/").last!.split(separator: "?").first!)
        return try await TestPostgreSQLCluster.shared().withAdminConnection(database: database) { connection in
            _ = try await connection.query("BEGIN", logger: quietLogger)
            _ = try await connection.query("LOCK TABLE inbox IN SHARE ROW EXCLUSIVE MODE", logger: quietLogger)
            let value = try await body()
            _ = try await connection.query("COMMIT", logger: quietLogger)
            return value
        }
    }

    /// Starts `calls` in a group once every one of them waits in the store's accept queue
    /// (beyond the writes already blocked), then releases them; what each returned or threw.
    func acceptTogether(_ store: PostgreSQLStore, url: String, _ calls: [[InboundEvent]]) async throws -> [Result<[InboxItem], any Error>] {
        let started = store.statementsRun
        return try await withThrowingTaskGroup(of: (Int, Result<[InboxItem], any Error>).self) { group in
            try await withInboxLocked(url) {
                for (index, events) in calls.enumerated() {
                    group.addTask {
                        let result: Result<[InboxItem], any Error>
                        do {
                            let created = try await store.accept(events, at: now)
                            result = .success(created)
                        } catch {
                            result = .failure(error)
                        }
                        return (index, result)
                    }
                }
                // The first write blocks on the lock; every other call then waits in the queue.
                let deadline = ContinuousClock.now + .seconds(10)
                while store.accepts.unanswered < calls.count, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(5))
                }
                #expect(store.accepts.unanswered == calls.count, "statements before the lock went: \(store.statementsRun - started)")
            }
            var results = [Result<[InboxItem], any Error>](repeating: .success([]), count: calls.count)
            for try await (index, result) in group { results[index] = result }
            return results
        }
    }

    @Test("accepts that arrive together are written together: 40 webhooks, 10 of them redelivered by another, in a few writes; each event created once")
    func groupCommit() async throws {
        let url = try await TestPostgreSQLCluster.shared().createDatabase()
        let store = try await PostgreSQLStore.open(url: url, poolSize: 4, logger: quietLogger)
        let calls = (0..<40).map { n in [EventFactory.text("m\(n)", from: "u\(n % 7)", id: "mid-\(n % 30)")] }
        let before = store.statementsRun
        let results = try await acceptTogether(store, url: url, calls)
        let used = store.statementsRun - before
        let created = try results.flatMap { try $0.get() }
        #expect(Set(created.map(\.event.platformMessageID)).count == 30 && created.count == 30, "each of the 30 events created once")
        #expect(Set(created.map(\.id)).count == 30)
        for (call, result) in zip(calls, results) {
            for item in try result.get() { #expect(item.event.platformMessageID == call[0].platformMessageID) }
        }
        // A pool of 4 runs one write at a time: the one blocked by the lock took the calls that
        // had come when it started, the next one all the others.
        #expect(used <= 4, "two statements per write (aliases read, one insert), at most two writes; not two per webhook (80): \(used)")
        #expect(try await store.counts()[.received] == 30)
        await store.close()
    }

    @Test("a webhook the database refuses fails alone: the others written with it are accepted")
    func oneRefusedFailsAlone() async throws {
        let url = try await TestPostgreSQLCluster.shared().createDatabase()
        let store = try await PostgreSQLStore.open(url: url, poolSize: 4, logger: quietLogger)
        // PostgreSQL text holds no NUL: the insert naming that message id fails.
        var calls = (0..<10).map { n in [EventFactory.text("m\(n)", from: "u\(n)", id: "mid-\(n)")] }
        calls.append([EventFactory.text("bad", from: "u99", id: "mid-\u{0}")])
        calls.append(contentsOf: (10..<15).map { n in [EventFactory.text("m\(n)", from: "u\(n)", id: "mid-\(n)")] })
        let results = try await acceptTogether(store, url: url, calls)
        for (index, result) in results.enumerated() {
            if index == 10 {
                #expect(throws: StoreError.self) { try result.get() }
            } else {
                #expect(try result.get().count == 1, "call \(index) accepted")
            }
        }
        #expect(try await store.counts()[.received] == 15)
        await store.close()
    }

    @Test("with the server down, accepts waiting behind a write fail with it, within the connect timeout, not after their own wait too")
    func waitingAcceptsFailTogether() async throws {
        let cluster = try await Task.detached { try TestPostgreSQLCluster.start() }.value
        defer { cluster.remove() }
        // A pool of 4: one write at a time, so an accept that comes while one runs waits for it.
        let store = try await PostgreSQLStore.open(url: try await cluster.createDatabase(), poolSize: 4, connectTimeout: .seconds(2),
                                                   queryTimeout: .seconds(2), logger: quietLogger)
        _ = try await store.accept([EventFactory.text("before", from: "u0", id: "before")], at: now)
        try await Task.detached { try cluster.stopServer() }.value
        // Webhooks every 300 ms for 2.4 s: each comes while a write waits for the server. Had it
        // to wait for that write and then make its own, its refusal would take up to two
        // connect timeouts (4 s); failing with the write it waited for, at most one.
        let slowest = try await withThrowingTaskGroup(of: Duration.self) { group in
            for n in 0..<8 {
                group.addTask {
                    try await Task.sleep(for: .milliseconds(300 * n))
                    let started = ContinuousClock.now
                    await #expect(throws: StoreError.self) {
                        _ = try await store.accept([EventFactory.text("m\(n)", from: "u\(n)", id: "down-\(n)")], at: now)
                    }
                    return ContinuousClock.now - started
                }
            }
            return try await group.reduce(Duration.zero) { max($0, $1) }
        }
        #expect(slowest < .seconds(3), "the slowest refusal took \(slowest)")
        await store.close()
    }
}
