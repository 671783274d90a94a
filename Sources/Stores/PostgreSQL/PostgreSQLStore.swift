import ChannelKit
import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization

/// The shared durable ``PipelineStore``, ``IdentityStore``, ``ChannelSettingsStore`` and
/// ``PrivacyStore``: one PostgreSQL database that several hosts can use at once.
///
/// - Every call leases a connection from a pool (postgres-nio's `PostgresClient`, whose
///   `run()` this store runs in a task of its own until ``close()``) and runs its statements
///   with bound parameters; a call that changes several rows runs them in one transaction.
/// - What SQLite's single writer gave for free is explicit here: deduplication is
///   `INSERT … ON CONFLICT DO NOTHING` on (channel, platform message id), for the webhooks
///   that arrive together in one statement (``AcceptQueue``); a claim is one
///   conditional `UPDATE … RETURNING`; a reply is recorded, and its last part marked sent
///   with its item done, each in one statement that locks the item's row first (what that
///   statement refuses, a transaction then explains); issuing a link code counts and inserts
///   under a transaction-scoped advisory lock.
///   Transactions that deadlock with another host are run again (up to three times).
/// - Times are `BIGINT` milliseconds since 1970, events and reply parts the same JSON text as
///   SQLite's (``StoredJSON``), so dates read back with millisecond precision.
/// - The schema is migrated at ``open(location:poolSize:connectTimeout:queryTimeout:logger:)``
///   under an advisory lock (``PostgreSQLSchema``); a database from a newer version is refused
///   with `StoreError(.corrupt, …)`.
/// - Failures surface as `StoreError(.unavailable, …)`: a lost connection, a server that is
///   down, no free connection within the connect timeout, a statement beyond the query
///   timeout. The pool reconnects by itself once the server is back. Messages name the server
///   (host, port, database) and never a password or a message's text.
///
/// Call ``close()`` before dropping the store.
public final class PostgreSQLStore: PipelineStore, IdentityStore, ChannelSettingsStore, PrivacyStore {
    /// Turns kept per conversation; older ones are deleted when new ones are appended.
    public static let historyCapacity = 200

    /// The schema version this build writes (the number of migration steps).
    public static var schemaVersion: Int { PostgreSQLSchema.currentVersion }

    /// The server and database, without the password.
    public let location: PostgreSQLLocation

    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>
    private let connectTimeout: Duration
    /// How long one call may work on its connection before it is abandoned (see ``ConnectionLease``).
    private let callTimeout: Duration
    private let poolSize: Int
    private let closed = Mutex(false)
    private let reachability = ReachabilityProbe()
    /// Accepts that arrive together are written together (group commit), by at most a
    /// quarter of the pool's connections at once.
    let accepts: AcceptQueue
    private let statements = StatementCounter()

    /// Statements this store has sent to the server since it was opened (`BEGIN` and
    /// `COMMIT` included; the schema migration not): what a change to the queries saves
    /// shows here.
    public var statementsRun: Int { statements.value }

    private init(location: PostgreSQLLocation, client: PostgresClient, runner: Task<Void, Never>, connectTimeout: Duration,
                 callTimeout: Duration, poolSize: Int, logger: Logger) {
        self.location = location
        self.client = client
        self.runner = runner
        self.connectTimeout = connectTimeout
        self.callTimeout = callTimeout
        self.poolSize = poolSize
        self.logger = logger
        self.accepts = AcceptQueue(writers: max(1, poolSize / 4))
    }

    deinit {
        runner.cancel()
    }

    /// Connects to the database at `url` (`postgres://user:password@host:port/database`, see
    /// ``PostgreSQLLocation/init(url:)``) and brings its schema up to date.
    /// - Parameters:
    ///   - url: the database; it must exist (the store creates its tables, not the database).
    ///   - poolSize: the most connections the store opens at once.
    ///   - connectTimeout: how long connecting may take, and how long a call waits for a free
    ///     connection before it fails with `StoreError(.unavailable, …)`.
    ///   - queryTimeout: the longest one statement may run (the server's `statement_timeout`),
    ///     and a transaction may sit idle (`idle_in_transaction_session_timeout`: a host frozen
    ///     in the middle of one would otherwise hold its row locks for as long as it is frozen);
    ///     a call still working on its connection after four times this is abandoned and
    ///     fails with `StoreError(.unavailable, …)` (a call that never returns would hold its
    ///     caller for ever).
    ///   - logger: where the store logs.
    /// - Throws: `StoreError(.unavailable, …)` when the URL is invalid, or the server cannot be
    ///   reached or refuses the user, within `connectTimeout`; `StoreError(.corrupt, …)` when
    ///   the database was written by a newer version.
    public static func open(url: String, poolSize: Int = 10, connectTimeout: Duration = .seconds(5),
                            queryTimeout: Duration = .seconds(15), logger: Logger) async throws -> PostgreSQLStore {
        try await open(location: PostgreSQLLocation(url: url), poolSize: poolSize, connectTimeout: connectTimeout,
                       queryTimeout: queryTimeout, logger: logger)
    }

    /// Connects to the database at `location` and brings its schema up to date; see
    /// ``open(url:poolSize:connectTimeout:queryTimeout:logger:)``.
    public static func open(location: PostgreSQLLocation, poolSize: Int = 10, connectTimeout: Duration = .seconds(5),
                            queryTimeout: Duration = .seconds(15), logger: Logger) async throws -> PostgreSQLStore {
        // A transaction left open by a host that stopped answering (frozen, cut off) would hold
        // its row locks, and so other hosts' claims on those messages, for as long as its
        // connection lives: the server ends it after the query timeout instead.
        let startup = [("statement_timeout", "\(milliseconds(queryTimeout))"),
                       ("idle_in_transaction_session_timeout", "\(milliseconds(queryTimeout))"), ("application_name", "sandra")]
        // One connection of its own first: it says exactly why the server cannot be used
        // (refused, wrong password, no such database), where the pool would only retry.
        try await migrate(location, startup: startup, connectTimeout: connectTimeout, logger: logger)

        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database,
            tls: location.tls == .require ? .require(.makeClientConfiguration()) : .disable)
        configuration.options.maximumConnections = max(1, poolSize)
        configuration.options.connectTimeout = connectTimeout
        configuration.options.additionalStartupParameters = startup
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let runner = Task { await client.run() }
        logger.info("PostgreSQL store open", metadata: [
            "location": "\(location)", "schema_version": "\(PostgreSQLSchema.currentVersion)", "pool_size": "\(poolSize)",
        ])
        return PostgreSQLStore(location: location, client: client, runner: runner, connectTimeout: connectTimeout,
                               callTimeout: queryTimeout * 4, poolSize: max(1, poolSize), logger: logger)
    }

    /// Closes the pool's connections. Later calls throw `StoreError(.unavailable, …)`.
    public func close() async {
        let first = closed.withLock { isClosed in
            defer { isClosed = true }
            return !isClosed
        }
        guard first else { return }
        runner.cancel()
        await runner.value
    }

    /// ``accept(_:traceContext:at:)`` outside any trace.
    public func accept(_ events: [InboundEvent], at now: Date) async throws -> [InboxItem] {
        try await accept(events, traceContext: nil, at: now)
    }

    // MARK: - Running statements

    /// Runs `body` on a leased connection. Waiting for the connection is bounded by the
    /// connect timeout; every error becomes a ``StoreError`` that names `action`.
    func session<Value: Sendable>(_ action: String, _ body: @escaping @Sendable (Session) async throws -> Value) async throws -> Value {
        guard !closed.withLock({ $0 }) else { throw StoreError(.unavailable, "\(action): the store is closed") }
        let logger = self.logger
        let counter = statements
        do {
            let value = try await ConnectionLease.run(client, waitingAtMost: connectTimeout, workingAtMost: callTimeout) { connection in
                try await body(Session(connection: connection, logger: logger, counter: counter))
            }
            reachability.succeeded()
            return value
        } catch is ConnectionLease.Abandoned {
            logger.error("a PostgreSQL call did not return; abandoned, with its connection", metadata: [
                "action": "\(action)", "after": "\(callTimeout)", "location": "\(location.named)",
            ])
            throw StoreError(.unavailable, "\(action): PostgreSQL at \(location.named) did not answer within \(callTimeout)")
        } catch is ConnectionLease.Timeout {
            throw StoreError(.unavailable, """
                \(action): no connection to PostgreSQL at \(location.named) within \(connectTimeout) \
                (the server is unreachable, or all \(poolSize) connections of the pool are busy)
                """)
        } catch {
            throw PostgreSQLFailure.storeError(error, while: "\(action) (PostgreSQL at \(location.named))")
        }
    }

    /// `nil` when the server answers now, else why not (naming the server, never the password),
    /// within the connect timeout: for readiness checks, which may come often. A call that
    /// succeeded in the last two seconds answers it without a query; otherwise one
    /// `SELECT 1` runs at a time, and its result is reused for a second.
    public func unreachableReason() async -> String? {
        await reachability.problem { [self] in
            do {
                try await session("checking the connection") { try await $0.run("SELECT 1") }
                return nil
            } catch {
                return "\(error)"
            }
        }
    }

    /// Runs `body` in one transaction on a leased connection; a transaction that deadlocked
    /// or met a serialization failure is run again, up to three times in all.
    func transaction<Value: Sendable>(_ action: String, _ body: @escaping @Sendable (Session) async throws -> Value) async throws -> Value {
        try await session(action) { session in
            var attempt = 1
            while true {
                do {
                    return try await session.transaction(body)
                } catch where attempt < 3 && PostgreSQLFailure.isConflict(error) {
                    attempt += 1
                }
            }
        }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
