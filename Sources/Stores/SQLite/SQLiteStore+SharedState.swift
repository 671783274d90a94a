import ChannelKit
import Foundation

// MARK: - SharedStateStore: the `shared_state` table (schema step 8).

extension SQLiteStore {
    public func sharedValue(scope: String, key: String, at now: Date) async throws -> String? {
        try read("reading shared state") { database in
            try Self.sharedValue(scope: scope, key: key, at: now, on: database)
        }
    }

    /// The value under (`scope`, `key`) that has not expired at `now`, read on `database` (in
    /// the caller's transaction: an update, or the claim that reads a conversation's state).
    static func sharedValue(scope: String, key: String, at now: Date, on database: Database) throws -> String? {
        try database.firstRow("""
            SELECT value FROM shared_state WHERE scope = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)
            """, [Row.bind(scope), Row.bind(key), Row.bind(now)]) { try $0.text(0) }
    }

    @discardableResult
    public func updateSharedValue(scope: String, key: String, at now: Date,
                                  _ transform: @escaping @Sendable (String?) -> SharedValueUpdate) async throws -> SharedValueChange {
        // One writer: the read and the write below are one transaction no other write interleaves.
        try await write("updating shared state") { database in
            let binds = [Row.bind(scope), Row.bind(key)]
            let previous = try Self.sharedValue(scope: scope, key: key, at: now, on: database)
            let update = transform(previous)
            if let value = update.value {
                try database.run("""
                    INSERT INTO shared_state (scope, key, value, expires_at, updated_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at,
                                                          updated_at = excluded.updated_at
                    """, binds + [Row.bind(value), Row.bind(update.expiresAt), Row.bind(now)])
            } else {
                try database.run("DELETE FROM shared_state WHERE scope = ? AND key = ?", binds)
            }
            return SharedValueChange(previous: previous, current: update.value)
        }
    }

    public func sharedValues(scope: String, at now: Date, limit: Int) async throws -> [SharedEntry] {
        try read("listing shared state") { database in
            try database.rows("""
                SELECT key, value, updated_at FROM shared_state WHERE scope = ? AND (expires_at IS NULL OR expires_at > ?)
                ORDER BY updated_at DESC, key LIMIT ?
                """, [Row.bind(scope), Row.bind(now), Row.bind(Int64(max(0, limit)))]) { row in
                SharedEntry(key: try row.text(0), value: try row.text(1), updatedAt: Row.date(milliseconds: try row.integer(2)))
            }
        }
    }
}
