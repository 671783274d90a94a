import ChannelKit
import Logging
import PostgresNIO

/// One leased connection and the statements a store call runs on it.
struct Session: Sendable {
    let connection: PostgresConnection
    let logger: Logger
    /// Counts the statements run (``PostgreSQLStore/statementsRun``), when given.
    var counter: StatementCounter? = nil

    /// Every row of `query`, each made into a value by `decode`.
    func rows<Value>(_ query: PostgresQuery, _ decode: (PostgresRow) throws -> Value) async throws -> [Value] {
        var values: [Value] = []
        counter?.add()
        for try await row in try await connection.query(query, logger: logger) {
            values.append(try decode(row))
        }
        return values
    }

    /// The first row of `query`, made into a value by `decode`; `nil` when there is none.
    func firstRow<Value>(_ query: PostgresQuery, _ decode: (PostgresRow) throws -> Value) async throws -> Value? {
        try await rows(query, decode).first
    }

    /// Whether `query` returned a row (`… RETURNING 1`, `SELECT 1 …`).
    func returnsRow(_ query: PostgresQuery) async throws -> Bool {
        try await rows(query) { _ in () }.count > 0
    }

    /// The count that `query` (`WITH changed AS (… RETURNING 1) SELECT count(*) FROM changed`) returns.
    func count(_ query: PostgresQuery) async throws -> Int {
        Int(try await firstRow(query) { try $0.decode(Int64.self) } ?? 0)
    }

    /// Runs a statement whose rows, if any, are not needed.
    func run(_ query: PostgresQuery) async throws {
        counter?.add()
        for try await _ in try await connection.query(query, logger: logger) {}
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    /// A connection that cannot even roll back is closed, so the pool never lends it again
    /// in the middle of a transaction.
    func transaction<Value>(_ body: (Session) async throws -> Value) async throws -> Value {
        try await run("BEGIN")
        do {
            let value = try await body(self)
            try await run("COMMIT")
            return value
        } catch {
            do {
                try await run("ROLLBACK")
            } catch {
                try? await connection.close()
            }
            throw error
        }
    }
}
