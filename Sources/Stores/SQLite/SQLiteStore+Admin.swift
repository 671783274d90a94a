import ChannelKit
import Foundation
import StoreSupport

// MARK: - What operators read and change: counts, retry, drop and redact of an item, linked identities, saved settings.

extension SQLiteStore {
    public func countsByChannel() async throws -> [String: [InboxState: Int]] {
        try read("counting inbox items per channel") { database in
            var counts: [String: [InboxState: Int]] = [:]
            let rows = try database.rows("SELECT channel, state, COUNT(*) FROM inbox GROUP BY channel, state") {
                (channel: try $0.text(0), state: try $0.text(1), count: try $0.integer(2))
            }
            for row in rows {
                guard let state = InboxState(rawValue: row.state) else {
                    throw StoreError(.corrupt, "unknown inbox state \(row.state)")
                }
                counts[row.channel, default: Dictionary(uniqueKeysWithValues: InboxState.allCases.map { ($0, 0) })][state] = Int(row.count)
            }
            return counts
        }
    }

    public func links(limit: Int) async throws -> [IdentityLink] {
        try read("listing linked identities") { database in
            try database.rows("""
                SELECT l.channel, l.user_id, l.linked_at, \(Row.profileColumns("p"))
                FROM identity_links l JOIN identity_profiles p ON p.id = l.profile_id
                ORDER BY l.linked_at DESC, l.channel DESC, l.user_id DESC LIMIT ?
                """, [Row.bind(max(0, limit))]) { row in
                IdentityLink(identity: try Row.identity(row, at: 0), profile: try Row.profile(row, at: 3),
                             linkedAt: Row.date(milliseconds: try row.integer(2)))
            }
        }
    }

    public func settingOverrides(channel: String) async throws -> [String: StoredSetting] {
        try read("reading saved channel settings") { database in
            var settings: [String: StoredSetting] = [:]
            let rows = try database.rows(
                "SELECT key, value, updated_at FROM channel_setting_overrides WHERE channel = ?", [Row.bind(channel)]
            ) { (key: try $0.text(0), value: try $0.text(1), updatedAt: try $0.integer(2)) }
            for row in rows {
                settings[row.key] = StoredSetting(value: row.value, updatedAt: Row.date(milliseconds: row.updatedAt))
            }
            return settings
        }
    }

    public func saveSettingOverrides(_ values: [String: String], removing removed: Set<String>, channel: String, at now: Date) async throws {
        try await write("saving channel settings") { database in
            for key in removed.subtracting(values.keys).sorted() {
                try database.run("DELETE FROM channel_setting_overrides WHERE channel = ? AND key = ?",
                                 [Row.bind(channel), Row.bind(key)])
            }
            for (key, value) in values.sorted(by: { $0.key < $1.key }) {
                try database.run("""
                    INSERT INTO channel_setting_overrides (channel, key, value, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (channel, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """, [Row.bind(channel), Row.bind(key), Row.bind(value), Row.bind(now)])
            }
        }
    }

    public func retry(_ id: Int64, at now: Date) async throws -> Bool {
        try await write("retrying inbox item \(id)") { database in
            try database.firstRow("""
                UPDATE inbox SET state = 'received', attempts = 0, next_attempt_at = NULL, lease_expires_at = NULL,
                                 last_error = NULL, updated_at = ?1, unfinished_claims = 0
                WHERE id = ?2 AND (state IN ('failed', 'dead', 'expired')
                                   OR (state = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at <= ?1)))
                RETURNING id
                """, [Row.bind(now), Row.bind(id)]) { _ in () } != nil
        }
    }

    public func drop(_ id: Int64, at now: Date) async throws -> Bool {
        defer { StoredEventMemo.shared.forget(id) }  // its text is not kept in memory once it is finished
        return try await write("dropping inbox item \(id)") { database in
            try database.firstRow("""
                UPDATE inbox SET state = 'dropped', next_attempt_at = NULL, lease_expires_at = NULL, updated_at = ?1,
                                 unfinished_claims = 0
                WHERE id = ?2 AND state NOT IN ('done', 'dropped')
                RETURNING id
                """, [Row.bind(now), Row.bind(id)]) { _ in () } != nil
        }
    }

    public func redact(_ id: Int64, at now: Date) async throws -> Bool {
        defer { StoredEventMemo.shared.forget(id) }  // its text is not kept in memory once it is finished
        return try await write("redacting inbox item \(id)") { database in
            guard let json = try database.firstRow("SELECT event_json FROM inbox WHERE id = ?1", [Row.bind(id)], { try $0.text(0) })
            else { return false }
            let event = try Row.decode(InboundEvent.self, json: json, column: "event_json")
            try database.run("UPDATE inbox SET event_json = ?1, updated_at = ?2 WHERE id = ?3",
                             [Row.bind(StoredJSON.encode(event.redacted)), Row.bind(now), Row.bind(id)])
            return true
        }
    }

    public func counts() async throws -> [InboxState: Int] {
        try read("counting inbox items") { database in
            var counts = Dictionary(uniqueKeysWithValues: InboxState.allCases.map { ($0, 0) })
            let rows = try database.rows("SELECT state, COUNT(*) FROM inbox GROUP BY state") { (try $0.text(0), try $0.integer(1)) }
            for (name, count) in rows {
                guard let state = InboxState(rawValue: name) else {
                    throw StoreError(.corrupt, "unknown inbox state \(name)")
                }
                counts[state] = Int(count)
            }
            return counts
        }
    }
}
