import ChannelKit
import Foundation
import PostgresNIO
import StoreSupport

// MARK: - SharedStateStore: the `shared_state` table (schema step 2).

extension PostgreSQLStore {
    public func sharedValue(scope: String, key: String, at now: Date) async throws -> String? {
        try await session("reading shared state") { session in
            try await session.firstRow("""
                SELECT value FROM shared_state
                WHERE scope = \(scope) AND key = \(key) AND (expires_at IS NULL OR expires_at > \(Rows.ms(now)))
                """) { try $0.decode(String.self) }
        }
    }

    @discardableResult
    public func updateSharedValue(scope: String, key: String, at now: Date,
                                  _ transform: @escaping @Sendable (String?) -> SharedValueUpdate) async throws -> SharedValueChange {
        try await transaction("updating shared state") { session in
            // A row to lock even when there is no value yet (an expired placeholder, which reads
            // as none): concurrent updates of one key, from any host, then take turns on it.
            try await session.run("""
                INSERT INTO shared_state (scope, key, value, expires_at, updated_at)
                VALUES (\(scope), \(key), '', 0, \(Rows.ms(now)))
                ON CONFLICT (scope, key) DO NOTHING
                """)
            let current = try await session.firstRow("""
                SELECT value, expires_at FROM shared_state WHERE scope = \(scope) AND key = \(key) FOR UPDATE
                """) { try $0.decode((String, Int64?).self) }
            let previous = current.flatMap { row in row.1.map { $0 > Rows.ms(now) } ?? true ? row.0 : nil }
            let update = transform(previous)
            if let value = update.value {
                try await session.run("""
                    UPDATE shared_state SET value = \(value), expires_at = \(update.expiresAt.map(Rows.ms)), updated_at = \(Rows.ms(now))
                    WHERE scope = \(scope) AND key = \(key)
                    """)
            } else {
                try await session.run("DELETE FROM shared_state WHERE scope = \(scope) AND key = \(key)")
            }
            return SharedValueChange(previous: previous, current: update.value)
        }
    }

    public func sharedValues(scope: String, at now: Date, limit: Int) async throws -> [SharedEntry] {
        try await session("listing shared state") { session in
            try await session.rows("""
                SELECT key, value, updated_at FROM shared_state
                WHERE scope = \(scope) AND (expires_at IS NULL OR expires_at > \(Rows.ms(now)))
                ORDER BY updated_at DESC, key LIMIT \(Int64(max(0, limit)))
                """) { row in
                let (key, value, updated) = try row.decode((String, String, Int64).self)
                return SharedEntry(key: key, value: value, updatedAt: Rows.date(updated))
            }
        }
    }
}
