import ChannelKit
import ChannelKitTesting
import Foundation
import Logging
import SQLiteNIO
import SQLiteStorage
import Synchronization
import Testing

/// A fresh directory for one test's databases, removed by ``remove()``.
struct TemporaryDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-store-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Stores opened by a test, to close at its end.
final class OpenedStores: Sendable {
    private let stores = Mutex<[SQLiteStore]>([])

    func add(_ store: SQLiteStore) -> SQLiteStore {
        stores.withLock { $0.append(store) }
        return store
    }

    func closeAll() async {
        for store in stores.withLock({ $0 }) { await store.close() }
    }
}

let quietLogger = Logger(label: "sqlite-store-tests") { _ in SwiftLogNoOpLogHandler() }

/// Runs SQL on the database file through a connection of its own, as an operator's tool would.
func withRawConnection<Value: Sendable>(_ path: String,
                                        _ body: @Sendable (SQLiteConnection) async throws -> Value) async throws -> Value {
    let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: quietLogger)
    do {
        _ = try await connection.query("PRAGMA busy_timeout = 5000")
        let value = try await body(connection)
        try await connection.close()
        return value
    } catch {
        try? await connection.close()
        throw error
    }
}

/// A message whose text is `size` bytes, to fill a database quickly.
func bulky(_ id: String, size: Int = 3000) -> InboundEvent {
    EventFactory.text(String(repeating: "x", count: size), from: "u1", id: id)
}

func expectUnavailable(_ what: String, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("\(what): expected StoreError(.unavailable)")
    } catch let error as StoreError {
        #expect(error.code == .unavailable, "\(what): \(error)")
    } catch {
        Issue.record("\(what): expected StoreError(.unavailable), got \(error)")
    }
}

let now = Date(timeIntervalSince1970: 1_760_000_100)

@Suite("SQLiteStore")
struct SQLiteStoreTests {
    @Test("passes the store conformance suite")
    func conformance() async throws {
        let directory = try TemporaryDirectory()
        let opened = OpenedStores()
        defer { directory.remove() }
        do {
            try await StoreConformance.run {
                opened.add(try await SQLiteStore.open(path: directory.path("\(UUID().uuidString).sqlite"), logger: quietLogger))
            }
        } catch {
            await opened.closeAll()
            throw error
        }
        await opened.closeAll()
    }

    @Test("passes the identity store conformance suite")
    func identityConformance() async throws {
        let directory = try TemporaryDirectory()
        let opened = OpenedStores()
        defer { directory.remove() }
        do {
            try await IdentityStoreConformance.run {
                opened.add(try await SQLiteStore.open(path: directory.path("\(UUID().uuidString).sqlite"), logger: quietLogger))
            }
        } catch {
            await opened.closeAll()
            throw error
        }
        await opened.closeAll()
    }

    @Test("passes the operator store conformance suite")
    func operatorConformance() async throws {
        let directory = try TemporaryDirectory()
        let opened = OpenedStores()
        defer { directory.remove() }
        do {
            try await OperatorStoreConformance.run {
                opened.add(try await SQLiteStore.open(path: directory.path("\(UUID().uuidString).sqlite"), logger: quietLogger))
            }
        } catch {
            await opened.closeAll()
            throw error
        }
        await opened.closeAll()
    }

    @Test("passes the shared state conformance suite; the retention sweep frees expired values")
    func sharedStateConformance() async throws {
        let directory = try TemporaryDirectory()
        let opened = OpenedStores()
        defer { directory.remove() }
        do {
            try await SharedStateStoreConformance.run {
                opened.add(try await SQLiteStore.open(path: directory.path("\(UUID().uuidString).sqlite"), logger: quietLogger))
            }
            let path = directory.path("sweep.sqlite")
            let store = opened.add(try await SQLiteStore.open(path: path, logger: quietLogger))
            try await store.setSharedValue("old", scope: "s", key: "expired", expiresAt: now, at: now)
            try await store.setSharedValue("kept", scope: "s", key: "forever", at: now)
            _ = try await store.sweepRetention(textBefore: now, keysBefore: now, at: now.addingTimeInterval(1))
            let keys = try await withRawConnection(path) { connection in
                try await connection.query("SELECT key FROM shared_state").compactMap { $0.column("key")?.string }
            }
            #expect(keys == ["forever"], "the expired value's row is deleted")
        } catch {
            await opened.closeAll()
            throw error
        }
        await opened.closeAll()
    }

    @Test("creates the parent directory and records WAL journal mode in the file")
    func openSettings() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("nested/deeper/channels.sqlite")
        let store = try await SQLiteStore.open(path: path, logger: quietLogger)
        await store.close()
        #expect(FileManager.default.fileExists(atPath: path))
        let mode = try await withRawConnection(path) { connection in
            try await connection.query("PRAGMA journal_mode").first?.column("journal_mode")?.string
        }
        #expect(mode == "wal", "WAL is recorded in the file")
    }

    @Test("data survives close and reopen")
    func survivesReopen() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("reopen.sqlite")
        let conversation = ConversationKey(channel: "test", accountID: "acct", userID: "u1")
        let events = [EventFactory.text("one", from: "u1", id: "m1"), EventFactory.text("two", from: "u1", id: "m2"),
                      EventFactory.ignored(.read, from: "u1", id: "r1")]

        let first = try await SQLiteStore.open(path: path, logger: quietLogger)
        let created = try await first.accept(events, at: now)
        _ = try await first.claim(created[0].id, leaseUntil: now.addingTimeInterval(60), at: now)
        let parts = try await first.recordReply(for: created[0].id, parts: [OutboundMessage(text: "hi"), OutboundMessage(text: "there")],
                                                conversation: conversation,
                                                turns: [ConversationTurn(role: .user, text: "one", timestamp: now),
                                                        ConversationTurn(role: .assistant, text: "hi there", timestamp: now)],
                                                at: now)
        try await first.markSent(parts[0].id, platformMessageID: "mid.0", at: now)
        _ = try await first.claim(created[1].id, leaseUntil: now.addingTimeInterval(60), at: now)
        try await first.fail(created[1].id, reason: "timeout", nextAttemptAt: now.addingTimeInterval(30), countsAsAttempt: true, at: now)
        let before = try await first.items(in: Set(InboxState.allCases), limit: 10)
        let history = try await first.history(of: conversation, limit: 10)
        let storedParts = try await first.parts(for: created[0].id)
        await first.close()

        let second = try await SQLiteStore.open(path: path, logger: quietLogger)
        #expect(try await second.items(in: Set(InboxState.allCases), limit: 10) == before)
        #expect(try await second.history(of: conversation, limit: 10) == history)
        #expect(try await second.parts(for: created[0].id) == storedParts)
        #expect(storedParts.map(\.state) == [.sent, .pending])
        #expect(try await second.accept(events, at: now).isEmpty, "keys dedup across restarts")
        let later = try await second.accept([EventFactory.text("three", from: "u1", id: "m3")], at: now)
        #expect((later.first?.id ?? 0) > created.map(\.id).max() ?? 0, "ids keep growing")
        #expect(try await second.releaseAllLeases(at: now) == 1, "the first run's lease is released at start-up")
        await second.close()
    }

    @Test("migrations are recorded once; reopening is a no-op")
    func migrationsRecordedOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("migrations.sqlite")
        @Sendable func migrations() async throws -> [[Int64]] {
            try await withRawConnection(path) { connection in
                try await connection.query("SELECT version, applied_at FROM schema_migrations ORDER BY version").map {
                    [$0.column("version")?.integer ?? -1, $0.column("applied_at")?.integer ?? -1].map { Int64($0) }
                }
            }
        }

        await (try await SQLiteStore.open(path: path, logger: quietLogger)).close()
        let afterFirst = try await migrations()
        #expect(afterFirst.map { $0[0] } == (1...SQLiteStore.schemaVersion).map(Int64.init), "one row per migration step")
        #expect(SQLiteStore.schemaVersion == 12)

        await (try await SQLiteStore.open(path: path, logger: quietLogger)).close()
        #expect(try await migrations() == afterFirst, "reopening applies nothing")
    }

    @Test("a database from a newer schema version is refused")
    func newerSchemaRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("newer.sqlite")
        await (try await SQLiteStore.open(path: path, logger: quietLogger)).close()
        try await withRawConnection(path) { connection in
            _ = try await connection.query("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)",
                                           [.integer(SQLiteInt64(SQLiteStore.schemaVersion + 1))])
        }
        do {
            let store = try await SQLiteStore.open(path: path, logger: quietLogger)
            await store.close()
            Issue.record("a newer database was opened")
        } catch let error as StoreError {
            #expect(error.code == .corrupt, "\(error)")
        }
    }

    @Test("a file that is not a database is refused as corrupt")
    func notADatabase() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("garbage.sqlite")
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: path))
        do {
            let store = try await SQLiteStore.open(path: path, logger: quietLogger)
            await store.close()
            Issue.record("garbage was opened as a database")
        } catch let error as StoreError {
            #expect(error.code == .corrupt, "\(error)")
        }
    }

    @Test("a full database refuses writes whole, then works again once there is room")
    func sizeCap() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("capped.sqlite")
        let store = try await SQLiteStore.open(path: path, maxSizeBytes: 384 * 1024, logger: quietLogger)

        // Fill it, five events per call, until a call is refused.
        var batch = 0
        var refused: [InboundEvent]?
        while refused == nil, batch < 1000 {
            let events = (0..<5).map { bulky("fill-\(batch)-\($0)") }
            do {
                _ = try await store.accept(events, at: now)
                batch += 1
            } catch let error as StoreError {
                #expect(error.code == .unavailable, "\(error)")
                refused = events
            }
        }
        let refusedEvents = try #require(refused, "the cap was never reached")
        #expect(batch > 5, "the cap left room for some events first")
        let landed = try await store.counts()[.received] ?? 0
        #expect(landed == batch * 5, "nothing of the refused call is visible")
        let all = try await store.items(in: Set(InboxState.allCases), limit: 10_000)
        #expect(!all.contains { $0.event.platformMessageID.hasPrefix("fill-\(batch)-") })
        await expectUnavailable("a second try while still full") { _ = try await store.accept(refusedEvents, at: now) }
        #expect(try await store.counts()[.received] == landed)
        // Reads and writes that need no room still work.
        let first = try #require(all.first)
        #expect(try await store.item(first.id) == first)
        #expect(try await store.drop(first.id, at: now))

        // An operator deletes old rows: the same store writes again, without a restart.
        try await withRawConnection(path) { connection in
            _ = try await connection.query("DELETE FROM inbox WHERE id IN (SELECT id FROM inbox ORDER BY id LIMIT 20)")
        }
        let retried = try await store.accept(refusedEvents, at: now)
        #expect(retried.map(\.event) == refusedEvents, "the refused events were never recorded, so they are new now")

        // Full again; a bigger cap at the next start makes room.
        var full = false
        for more in 0..<1000 where !full {
            do { _ = try await store.accept((0..<5).map { bulky("more-\(more)-\($0)") }, at: now) } catch let error as StoreError {
                #expect(error.code == .unavailable)
                full = true
            }
        }
        #expect(full)
        await store.close()
        let bigger = try await SQLiteStore.open(path: path, maxSizeBytes: 4 * 1024 * 1024, logger: quietLogger)
        #expect(try await bigger.accept((0..<5).map { bulky("after-\($0)") }, at: now).count == 5)
        await bigger.close()
    }

    @Test("200 concurrent accepts of distinct events all land, in far fewer transactions (group commit)")
    func groupCommit() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try await SQLiteStore.open(path: directory.path("group.sqlite"), logger: quietLogger)
        let before = store.committedTransactions
        let clock = ContinuousClock()
        let start = clock.now
        let created = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<200 {
                group.addTask {
                    try await store.accept([EventFactory.text("hello \(i)", from: "u\(i % 7)", id: "g\(i)")], at: now).count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = clock.now - start
        let commits = store.committedTransactions - before
        print("group commit: 200 concurrent accepts → \(commits) commits in \(elapsed)")
        #expect(created == 200)
        #expect(try await store.counts()[.received] == 200)
        #expect(commits >= 1)
        #expect(commits <= 20, "group commit batches concurrent writes (\(commits) commits for 200 accepts)")
        await store.close()
    }

    @Test("one failing write in a batch fails only its caller")
    func failureIsolation() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try await SQLiteStore.open(path: directory.path("isolation.sqlite"), logger: quietLogger)
        let received = try await store.accept((0..<20).map { EventFactory.text("t", from: "u", id: "base-\($0)") }, at: now)
        let outcomes = await withTaskGroup(of: (String, Bool).self) { group in
            for item in received {
                // Completing a received item is an invalid transition.
                group.addTask {
                    do { try await store.complete(item.id, at: now); return ("complete", true) } catch { return ("complete", false) }
                }
            }
            for i in 0..<20 {
                group.addTask {
                    do {
                        // Bound first: a tuple with an awaited element is miscompiled at -O (see MediaPreparer.download).
                        let accepted = try await store.accept([EventFactory.text("t", from: "u", id: "new-\(i)")], at: now).count == 1
                        return ("accept", accepted)
                    } catch { return ("accept", false) }
                }
            }
            return await group.reduce(into: [(String, Bool)]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0.0 == "complete" && $0.1 }.isEmpty, "every invalid complete failed")
        #expect(outcomes.filter { $0.0 == "accept" && $0.1 }.count == 20, "every accept in the same batches landed")
        #expect(try await store.counts()[.received] == 40)
        await store.close()
    }

    @Test("marking the last part sent and completing is one write: both, or neither")
    func markSentAndCompleteIsAtomic() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try await SQLiteStore.open(path: directory.path("sent-and-done.sqlite"), logger: quietLogger)
        let conversation = ConversationKey(channel: "test", accountID: "acct", userID: "u")
        let items = try await store.accept([EventFactory.text("a", from: "u", id: "a"), EventFactory.text("b", from: "u", id: "b")],
                                           at: now)
        var recorded: [[OutboxPart]] = []
        for item in items {
            _ = try await store.claim(item.id, leaseUntil: now.addingTimeInterval(60), at: now)
            recorded.append(try await store.recordReply(for: item.id, parts: [OutboundMessage(text: "hi")], conversation: conversation,
                                                     turns: [], at: now))
        }
        let parts = recorded
        try await store.markSentAndComplete(parts[0][0].id, platformMessageID: "mid.a", inboxID: items[0].id, at: now)
        #expect(try await store.item(items[0].id)?.state == .done)
        #expect(try await store.parts(for: items[0].id).map(\.state) == [.sent])

        // The second item is no longer processing: the part must stay pending, even though
        // its own update ran first; accepts batched with it still land.
        try await store.fail(items[1].id, reason: "test", nextAttemptAt: now, countsAsAttempt: false, at: now)
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    try await store.markSentAndComplete(parts[1][0].id, platformMessageID: "mid.b", inboxID: items[1].id, at: now)
                    return true
                } catch { return false }
            }
            for i in 0..<20 {
                group.addTask {
                    (try? await store.accept([EventFactory.text("t", from: "v", id: "new-\(i)")], at: now).count) == 1
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 20, "the refused write failed alone")
        #expect(try await store.parts(for: items[1].id).map(\.state) == [.pending])
        #expect(try await store.item(items[1].id)?.state == .failed)
        #expect(try await store.counts()[.received] == 20)
        await store.close()
    }

    @Test("a closed store refuses calls")
    func closedStore() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try await SQLiteStore.open(path: directory.path("closed.sqlite"), logger: quietLogger)
        await store.close()
        await store.close()
        await expectUnavailable("accept after close") { _ = try await store.accept([EventFactory.text("x", from: "u", id: "x")], at: now) }
        await expectUnavailable("read after close") { _ = try await store.counts() }
    }
}
