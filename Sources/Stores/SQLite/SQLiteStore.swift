import ChannelKit
import Foundation
import StoreSupport
import Logging
import Synchronization

/// The embedded durable ``PipelineStore`` and ``IdentityStore``: one SQLite file in WAL mode.
///
/// - Writes go through one connection owned by one thread that commits every queued write in
///   one transaction (group commit; see ``DatabaseWorker``), with `synchronous=FULL`: when a
///   method returns, its change is on disk. Two exceptions commit without an fsync when no
///   other write shares their batch: ``claim(_:leaseUntil:at:)``, which a crash may undo
///   harmlessly, and ``recordReply(for:parts:conversation:turns:at:)``, which the next durable
///   commit (the part marked sent, or its failure) puts on disk with it. A process crash loses
///   neither: only a power cut can, and only before that next commit.
/// - Reads run on the caller's thread, on read connections of their own (``ReaderPool``);
///   WAL lets them read while the writer writes.
/// - Each store call is one blocking call on the connection's thread (its statements run
///   back to back, prepared once and cached), not one hand-off between threads per statement.
/// - Times are stored as integer milliseconds since 1970, so dates read back with millisecond
///   precision; events are stored whole as JSON (written by ``StoredJSON``) and read back exactly.
/// - Conversation history keeps the last ``historyCapacity`` turns of each conversation.
/// - SQLite failures (disk full, read-only, I/O errors, …) surface as
///   `StoreError(.unavailable, …)`; the failed call changes nothing and later calls work
///   again once the cause is gone. A database written by a newer version is refused with
///   `StoreError(.corrupt, …)`.
///
/// Call ``close()`` before dropping the store.
public final class SQLiteStore: PipelineStore, IdentityStore, ChannelSettingsStore {
    /// Turns kept per conversation; older ones are deleted when new ones are appended.
    public static let historyCapacity = 200

    /// The schema version this build writes (the number of migration steps).
    public static var schemaVersion: Int { Schema.currentVersion }

    /// The database file.
    public let path: String

    private let writer: DatabaseWorker
    private let readers: ReaderPool
    private let hostLock: ExclusiveFileLock?
    private let closed = Mutex(false)

    private init(path: String, writer: DatabaseWorker, readers: ReaderPool, hostLock: ExclusiveFileLock?) {
        self.path = path
        self.writer = writer
        self.readers = readers
        self.hostLock = hostLock
    }

    deinit {
        // Without close(): the writer finishes what is queued and closes its connection.
        writer.close()
        readers.close()
        hostLock?.release()
    }

    /// The file whose lock an exclusive ``open(path:maxSizeBytes:exclusive:logger:)`` holds: `<path>.lock`.
    public static func lockFile(for path: String) -> String { path + ".lock" }

    /// Opens (creating when needed) the database at `path` and brings its schema up to date.
    /// - Parameters:
    ///   - path: the database file; its directory is created when missing.
    ///   - maxSizeBytes: a cap on the database file's size (`PRAGMA max_page_count`); a write
    ///     that would grow it beyond fails with `StoreError(.unavailable, …)`.
    ///   - exclusive: hold a lock on ``lockFile(for:)`` until ``close()``, so that no other
    ///     exclusive open — a second host, in this process or another — can use the file at
    ///     the same time. Tools that inspect the store while the host runs open it shared.
    ///   - logger: where the store logs.
    /// - Throws: `StoreError(.unavailable, …)` when the file cannot be opened or written,
    ///   `StoreError(.corrupt, …)` when it is not a database this version can use,
    ///   `StoreError(.inUse, …)` when an exclusive open finds the file held by another.
    public static func open(path: String, maxSizeBytes: Int? = nil, exclusive: Bool = false,
                            logger: Logger) async throws -> SQLiteStore {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            // The database holds message history and linked email addresses: only the host's
            // user reads its folder (when created here) and its files.
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError(.unavailable, "cannot create the directory \(directory.path): \(error)")
        }
        let hostLock: ExclusiveFileLock?
        if exclusive {
            guard let lock = try ExclusiveFileLock.acquire(path: lockFile(for: path)) else {
                throw StoreError(.inUse, "another host is using \(path) (it holds \(lockFile(for: path)))")
            }
            hostLock = lock
        } else {
            hostLock = nil
        }
        do {
            return try await open(path: path, maxSizeBytes: maxSizeBytes, hostLock: hostLock, logger: logger)
        } catch {
            hostLock?.release()
            throw error
        }
    }

    private static func open(path: String, maxSizeBytes: Int?, hostLock: ExclusiveFileLock?,
                             logger: Logger) async throws -> SQLiteStore {
        try restrictPermissions(of: path)

        let writer: DatabaseWorker
        do {
            writer = try await DatabaseWorker.start(path: path, logger: logger) { database in
                try configureWriter(database, maxSizeBytes: maxSizeBytes)
                try Schema.migrate(database, logger: logger)
            }
        } catch {
            throw Row.storeError(error, while: "preparing the database \(path)")
        }
        let readers: ReaderPool
        do {
            readers = try ReaderPool(path: path)
        } catch {
            writer.close()
            await writer.waitUntilFinished()
            throw Row.storeError(error, while: "opening a reader for \(path)")
        }
        logger.info("SQLite store open", metadata: ["path": "\(path)", "schema_version": "\(Schema.currentVersion)"])
        return SQLiteStore(path: path, writer: writer, readers: readers, hostLock: hostLock)
    }

    /// Finishes the queued work and closes the database. Later calls throw `StoreError(.unavailable, …)`.
    public func close() async {
        let first = closed.withLock { isClosed in
            defer { isClosed = true }
            return !isClosed
        }
        guard first else { return }
        writer.close()
        readers.close()
        await writer.waitUntilFinished()
        hostLock?.release()
    }

    /// Write transactions committed since the store opened (group commit makes this far
    /// smaller than the number of write calls under concurrency).
    package var committedTransactions: Int { writer.committedTransactions }

    // MARK: - InboxStore

    public func accept(_ events: [InboundEvent], at now: Date) async throws -> [InboxItem] {
        try await accept(events, traceContext: nil, at: now)
    }

    public func accept(_ events: [InboundEvent], traceContext: String?, at now: Date) async throws -> [InboxItem] {
        guard !events.isEmpty else { return [] }
        let stamp = Row.stored(now)
        return try await write("accepting events") { database in
            var created: [InboxItem] = []
            for incoming in events {
                let event = try Self.keyOnKnownPerson(incoming, at: stamp, on: database)
                let json = StoredJSON.encode(event)
                let state: InboxState = event.takesTurn ? .received : .ignored
                try database.run("""
                    INSERT INTO inbox (channel, platform_message_id, account_id, sender_id, event_timestamp_ms,
                                       event_json, state, attempts, received_at, updated_at, trace_context)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
                    ON CONFLICT (channel, platform_message_id) DO NOTHING
                    """, [
                        Row.bind(event.channel), Row.bind(event.platformMessageID), Row.bind(event.accountID),
                        Row.bind(event.senderID), Row.bind(event.timestamp), Row.bind(json), Row.bind(state.rawValue),
                        Row.bind(stamp), Row.bind(stamp), Row.bind(traceContext),
                    ])
                // No row changed: a delivery seen before (no RETURNING: see `Database.changes`).
                if database.changes == 1 {
                    let id = database.lastInsertRowID
                    StoredEventMemo.shared.remember(event, json: json, id: id, state: state)
                    created.append(InboxItem(id: id, event: event, state: state, receivedAt: stamp, updatedAt: stamp,
                                             traceContext: traceContext))
                }
            }
            return created
        }
    }

    public func claim(_ id: Int64, leaseUntil: Date, at now: Date) async throws -> InboxItem? {
        // A claim lost in a power cut leaves the item as it was, which is what the next start
        // makes of a claimed item anyway (releaseAllLeases): no fsync needed. A process that
        // dies loses no committed write in WAL mode, so the count of unfinished claims, which
        // tells a message that stops the host, survives what it counts.
        try await write("claiming inbox item \(id)", durable: false) { database in
            try Self.claim(id, leaseUntil: leaseUntil, at: now, on: database)
        }
    }

    public func claimHead(_ id: Int64, owner: String, leaseUntil: Date, at now: Date) async throws -> HeadClaim {
        // Not forced to disk, as `claim` (see there).
        try await write("claiming inbox item \(id)", durable: false) { database in
            try Self.claimHead(id, owner: owner, leaseUntil: leaseUntil, at: now, on: database)
        }
    }

    public func renewLease(_ id: Int64, until: Date, fence: LeaseFence?, at now: Date) async throws {
        try await transition(id, "renew the lease of", """
            UPDATE inbox SET lease_expires_at = ?1, updated_at = ?2 WHERE id = ?3 AND state = 'processing'
            """, [Row.bind(until), Row.bind(now), Row.bind(id)], fence: fence)
    }

    public func complete(_ id: Int64, fence: LeaseFence?, at now: Date) async throws {
        defer { StoredEventMemo.shared.forget(id) }  // its text is not kept in memory once it is finished
        return try await transition(id, "complete", Self.completeSQL, [Row.bind(now), Row.bind(id)], fence: fence)
    }

    public func fail(_ id: Int64, reason: String, nextAttemptAt: Date, countsAsAttempt: Bool, fence: LeaseFence?,
                     at now: Date) async throws {
        try await transition(id, "fail", """
            UPDATE inbox SET state = 'failed', attempts = attempts + ?1, next_attempt_at = ?2,
                             lease_expires_at = NULL, last_error = ?3, updated_at = ?4, unfinished_claims = 0
            WHERE id = ?5 AND state = 'processing'
            """, [Row.bind(countsAsAttempt ? 1 : 0), Row.bind(nextAttemptAt), Row.bind(reason), Row.bind(now), Row.bind(id)],
            fence: fence)
    }

    public func kill(_ id: Int64, reason: String, fence: LeaseFence?, at now: Date) async throws {
        defer { StoredEventMemo.shared.forget(id) }  // its text is not kept in memory once it is finished
        return try await transition(id, "kill", """
            UPDATE inbox SET state = 'dead', attempts = attempts + 1, next_attempt_at = NULL,
                             lease_expires_at = NULL, last_error = ?1, updated_at = ?2, unfinished_claims = 0
            WHERE id = ?3 AND state = 'processing'
            """, [Row.bind(reason), Row.bind(now), Row.bind(id)], fence: fence)
    }

    public func expire(before cutoff: Date, at now: Date) async throws -> Int {
        try await write("expiring old inbox items") { database in
            try database.rows("""
                UPDATE inbox SET state = 'expired', lease_expires_at = NULL, next_attempt_at = NULL, updated_at = ?1
                WHERE (state = 'received' OR state = 'failed' OR state = 'processing') AND event_timestamp_ms < ?2
                RETURNING id
                """, [Row.bind(now), Row.bind(cutoff)]) { _ in () }.count
        }
    }

    public func releaseAllLeases(at now: Date) async throws -> Int {
        try await write("releasing leases") { database in
            try database.rows("""
                UPDATE inbox SET state = 'received', lease_expires_at = NULL, updated_at = ?1
                WHERE state = 'processing'
                RETURNING id
                """, [Row.bind(now)]) { _ in () }.count
        }
    }

    public func releaseLeases(ownedBy owner: String, at now: Date) async throws -> Int {
        try await write("releasing leases") { database in
            try database.rows("""
                UPDATE inbox SET state = 'received', lease_expires_at = NULL, updated_at = ?1
                WHERE state = 'processing' AND lease_owner = ?2
                RETURNING id
                """, [Row.bind(now), Row.bind(owner)]) { _ in () }.count
        }
    }

    /// The items that need work at `?1`: received, failed, or processing with a lapsed lease.
    private static let pendingCondition = """
        state IN ('received', 'failed')
           OR (state = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at <= ?1))
        """

    public func pending(at now: Date) async throws -> [InboxItem] {
        try read("listing pending inbox items") { database in
            try database.rows("""
                SELECT \(Row.inboxColumns) FROM inbox WHERE \(Self.pendingCondition)
                ORDER BY channel, account_id, sender_id, event_timestamp_ms, id
                """, [Row.bind(now)], Row.inboxItem)
        }
    }

    public func items(withIDs ids: [Int64]) async throws -> [InboxItem] {
        guard !ids.isEmpty else { return [] }
        // One statement for any number of ids: the ids travel as one JSON array.
        let list = "[" + ids.map(String.init).joined(separator: ",") + "]"
        return try read("reading inbox items") { database in
            try database.rows("""
                SELECT \(Row.inboxColumns) FROM inbox WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY id
                """, [Row.bind(list)], Row.inboxItem)
        }
    }

    public func items(in states: Set<InboxState>, limit: Int) async throws -> [InboxItem] {
        guard limit > 0, !states.isEmpty else { return [] }
        let names = states.map(\.rawValue).sorted()
        let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
        return try read("listing inbox items") { database in
            try database.rows("""
                SELECT \(Row.inboxColumns) FROM inbox WHERE state IN (\(placeholders)) ORDER BY id LIMIT ?
                """, names.map(Row.bind) + [Row.bind(limit)], Row.inboxItem)
        }
    }

    public func item(_ id: Int64) async throws -> InboxItem? {
        try read("reading inbox item \(id)") { database in
            try database.firstRow("SELECT \(Row.inboxColumns) FROM inbox WHERE id = ?", [Row.bind(id)], Row.inboxItem)
        }
    }

    // MARK: - Helpers

    /// Runs `body` on the writer; it returns once the write is committed, and — unless
    /// `durable` is `false` — on disk.
    func write<Value: Sendable>(_ action: String, durable: Bool = true,
                                _ body: @escaping @Sendable (Database) throws -> Value) async throws -> Value {
        do {
            return try await writer.submit(durable: durable, body)
        } catch {
            throw Row.storeError(error, while: action)
        }
    }

    /// Runs `body` on a read connection, right here on the caller's thread.
    func read<Value>(_ action: String, _ body: (Database) throws -> Value) throws -> Value {
        do {
            return try readers.read(body)
        } catch {
            throw Row.storeError(error, while: action)
        }
    }

    /// `processing` → `done`; binds: the time, the item's id.
    static let completeSQL = """
        UPDATE inbox SET state = 'done', lease_expires_at = NULL, next_attempt_at = NULL, updated_at = ?1,
                         unfinished_claims = 0
        WHERE id = ?2 AND state = 'processing'
        """

    /// Runs an inbox `UPDATE … WHERE id = ? AND state = …`, when the fence holds; no row
    /// changed is an invalid transition.
    private func transition(_ id: Int64, _ action: String, _ sql: String, _ binds: [SQLValue], fence: LeaseFence?) async throws {
        try await write("\(action) inbox item \(id)") { database in
            try Self.checkFence(fence, for: "\(action) inbox item \(id)", on: database)
            try Self.transition(id, action, sql, binds, on: database)
        }
    }

    /// Throws `leaseLost` when the fenced item was claimed again since (or is no longer
    /// processing). Runs in the write's transaction, so nothing can come between it and the write.
    static func checkFence(_ fence: LeaseFence?, for action: String, on database: Database) throws {
        guard let fence else { return }
        let held = try database.firstRow("SELECT 1 FROM inbox WHERE id = ?1 AND state = 'processing' AND claim_epoch = ?2",
                                         [Row.bind(fence.itemID), Row.bind(fence.epoch)]) { _ in true }
        guard held == true else {
            throw StoreError(.leaseLost, "cannot \(action): the lease of inbox item \(fence.itemID) (epoch \(fence.epoch)) was lost")
        }
    }

    static func transition(_ id: Int64, _ action: String, _ sql: String, _ binds: [SQLValue],
                                   on database: Database) throws {
        try guardedUpdate(sql, binds, table: "inbox", key: Row.bind(id), thing: "inbox item \(id)", action: action,
                          expected: "processing", missing: "no such item", on: database)
    }

    /// Runs an `UPDATE … WHERE id = ? AND state = …` on `table`; when it changes no row, throws
    /// an invalid transition that says what state the row is in.
    static func guardedUpdate(_ sql: String, _ binds: [SQLValue], table: String, key: SQLValue, thing: String,
                                      action: String, expected: String, missing: String, on database: Database) throws {
        try database.run(sql, binds)
        guard database.changes == 0 else { return }
        let state = try database.firstRow("SELECT state FROM \(table) WHERE id = ?", [key]) { try $0.text(0) }
        throw StoreError(.invalidTransition, "cannot \(action) \(thing): " + (state.map { "it is \($0), not \(expected)" } ?? missing))
    }

    static func claim(_ id: Int64, owner: String? = nil, leaseUntil: Date, at now: Date, on database: Database) throws -> InboxItem? {
        // Updated, then read by its key (see `Database.changes` for why not RETURNING).
        try database.run("""
            UPDATE inbox SET state = 'processing', lease_expires_at = ?1, next_attempt_at = NULL, updated_at = ?2,
                             unfinished_claims = unfinished_claims + 1, claim_epoch = claim_epoch + 1, lease_owner = ?4
            WHERE id = ?3 AND (
                state = 'received'
                OR (state = 'failed' AND (next_attempt_at IS NULL OR next_attempt_at <= ?2))
                OR (state = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at <= ?2)))
            """, [Row.bind(leaseUntil), Row.bind(now), Row.bind(id), Row.bind(owner)])
        guard database.changes == 1 else { return nil }
        return try database.firstRow("SELECT \(Row.inboxColumns) FROM inbox WHERE id = ?1", [Row.bind(id)], Row.inboxItem)
    }

    private static func configureWriter(_ database: Database, maxSizeBytes: Int?) throws {
        try database.run("PRAGMA foreign_keys = ON")
        let mode = try database.firstRow("PRAGMA journal_mode = WAL") { try $0.text(0) }
        guard mode?.lowercased() == "wal" else {
            throw StoreError(.unavailable, "the database cannot use WAL journal mode (it is \(mode ?? "unknown"))")
        }
        try database.run("PRAGMA synchronous = FULL")
        if let maxSizeBytes {
            let pageSize = try database.firstRow("PRAGMA page_size") { try $0.integer(0) } ?? 4096
            let pages = max(1, maxSizeBytes / max(1, Int(pageSize)))
            try database.run("PRAGMA max_page_count = \(pages)")
        }
    }
}
