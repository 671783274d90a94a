import ChannelKit
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization

extension PostgreSQLStore {
    /// Connects once, on a connection of its own, and migrates the schema; the whole of it
    /// within `connectTimeout` for the connection (the migration's statements have the
    /// query timeout). Errors name the server, never the password.
    static func migrate(_ location: PostgreSQLLocation, startup: [(String, String)], connectTimeout: Duration,
                        logger: Logger) async throws {
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: .disable)
        if location.tls == .require {
            do {
                configuration.tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            } catch {
                throw StoreError(.unavailable, "cannot set up TLS for PostgreSQL at \(location.named): \(error)")
            }
        }
        configuration.options.connectTimeout = .milliseconds(milliseconds(connectTimeout))
        configuration.options.additionalStartupParameters = startup

        let connection: PostgresConnection
        let settings = configuration
        do {
            connection = try await withDeadline(connectTimeout) {
                try await PostgresConnection.connect(configuration: settings, id: 0, logger: logger)
            }
        } catch {
            let reason = error is ConnectionLease.Timeout ? "no answer within \(connectTimeout)" : PostgreSQLFailure.reason(error)
            throw StoreError(.unavailable, "cannot connect to PostgreSQL at \(location.named) as \(location.user): \(reason)")
        }
        do {
            try await PostgreSQLSchema.migrate(Session(connection: connection, logger: logger), logger: logger)
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw PostgreSQLFailure.storeError(error, while: "migrating the schema of PostgreSQL at \(location.named)")
        }
    }

    /// `body`'s value, or ``ConnectionLease/Timeout`` when it takes longer than `bound`
    /// (`body` is cancelled then).
    private static func withDeadline<Value: Sendable>(_ bound: Duration,
                                                      _ body: @escaping @Sendable () async throws -> Value) async throws -> Value {
        try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: bound)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw ConnectionLease.Timeout() }
            return value
        }
    }
}
