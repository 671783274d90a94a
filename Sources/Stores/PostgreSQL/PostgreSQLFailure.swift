import ChannelKit
import PostgresNIO

/// The contract's errors for what PostgreSQL and the driver throw. Messages name the action,
/// the SQLSTATE and — only for the classes whose server messages quote no data — the
/// server's message: never a message's text, a bound value or a password.
enum PostgreSQLFailure {
    /// SQLSTATE classes whose messages name objects, users or settings but no row data:
    /// connection (08), authorization (28), missing database (3D), syntax and undefined
    /// objects (42), resources (53), operator intervention and timeouts (57), system (58).
    private static let describedClasses: Set<Substring> = ["08", "28", "3D", "42", "53", "57", "58"]

    /// The SQLSTATE of a server error, if `error` is one.
    static func sqlState(of error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// A transaction that failed only because it met another one: worth running again.
    static func isConflict(_ error: any Error) -> Bool {
        guard let state = sqlState(of: error) else { return false }
        return state == "40001" || state == "40P01"  // serialization failure, deadlock detected
    }

    /// The server refused the data itself (a value it cannot store, a constraint, a limit):
    /// the same statement with other data would have gone through.
    static func isDataRefusal(_ error: any Error) -> Bool {
        guard let state = sqlState(of: error) else { return false }
        return state.hasPrefix("22") || state.hasPrefix("23") || state.hasPrefix("54")
    }

    /// What went wrong, in words that are safe to log.
    static func reason(_ error: any Error) -> String {
        if let error = error as? StoreError { return error.message }
        if let error = error as? PSQLError {
            if let info = error.serverInfo, let state = info[.sqlState] {
                if state == "57014" { return "the statement timed out (PostgreSQL error 57014)" }
                if describedClasses.contains(state.prefix(2)), let message = info[.message] {
                    return "PostgreSQL error \(state): \(message)"
                }
                return "PostgreSQL error \(state)" + (info[.constraintName].map { " (constraint \($0))" } ?? "")
            }
            switch error.code {
            case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown:
                return "the connection to the server was lost"
            case .connectionError:
                return "cannot connect" + (error.underlying.map { ": \($0)" } ?? "")
            case .poolClosed:
                return "the connection pool is closed"
            case .queryCancelled:
                return "the request was cancelled"
            case .sslUnsupported:
                return "the server does not support TLS (use ?sslmode=disable to connect without it)"
            default:
                return "driver error \(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
            }
        }
        if error is PostgresDecodingError { return "a column does not decode as expected" }
        if error is CancellationError { return "the request was cancelled" }
        return "\(error)"
    }

    /// The contract's error for whatever a store operation threw while doing `action`.
    static func storeError(_ error: any Error, while action: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if error is PostgresDecodingError { return StoreError(.corrupt, "\(action): \(reason(error))") }
        if let state = sqlState(of: error), state.hasPrefix("XX") {
            return StoreError(.corrupt, "\(action): \(reason(error))")  // data corrupted, index corrupted
        }
        // Connection lost, server down, pool exhausted, timeouts, disk full on the server, …
        return StoreError(.unavailable, "\(action): \(reason(error))")
    }
}
