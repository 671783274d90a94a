import ChannelKit
import Foundation
import SQLiteNIO

// MARK: - What operators read and change: counts per channel, linked identities, saved settings.

extension SQLiteStore {
    public func countsByChannel() async throws -> [String: [InboxState: Int]] {
        try await read("counting inbox items per channel") { connection in
            var counts: [String: [InboxState: Int]] = [:]
            for row in try await connection.query("SELECT channel, state, COUNT(*) AS n FROM inbox GROUP BY channel, state") {
                let name = try Row.text(row, "state")
                guard let state = InboxState(rawValue: name) else {
                    throw StoreError(.corrupt, "unknown inbox state \(name)")
                }
                let channel = try Row.text(row, "channel")
                counts[channel, default: Dictionary(uniqueKeysWithValues: InboxState.allCases.map { ($0, 0) })][state] = Int(try Row.integer(row, "n"))
            }
            return counts
        }
    }

    public func links(limit: Int) async throws -> [IdentityLink] {
        try await read("listing linked identities") { connection in
            try await connection.query("""
                SELECT l.channel, l.user_id, l.linked_at, \(Row.profileColumns("p"))
                FROM identity_links l JOIN identity_profiles p ON p.id = l.profile_id
                ORDER BY l.linked_at DESC, l.channel DESC, l.user_id DESC LIMIT ?
                """, [Row.bind(max(0, limit))]).map { row in
                IdentityLink(identity: ChannelIdentity(channel: try Row.text(row, "channel"), userID: try Row.text(row, "user_id")),
                             profile: try Row.profile(row),
                             linkedAt: Row.date(milliseconds: try Row.integer(row, "linked_at")))
            }
        }
    }

    public func settingOverrides(channel: String) async throws -> [String: StoredSetting] {
        try await read("reading saved channel settings") { connection in
            var settings: [String: StoredSetting] = [:]
            for row in try await connection.query(
                "SELECT key, value, updated_at FROM channel_setting_overrides WHERE channel = ?", [Row.bind(channel)]) {
                settings[try Row.text(row, "key")] = StoredSetting(
                    value: try Row.text(row, "value"), updatedAt: Row.date(milliseconds: try Row.integer(row, "updated_at")))
            }
            return settings
        }
    }

    public func saveSettingOverrides(_ values: [String: String], removing removed: Set<String>, channel: String, at now: Date) async throws {
        try await write("saving channel settings") { connection in
            for key in removed.subtracting(values.keys).sorted() {
                _ = try await connection.query("DELETE FROM channel_setting_overrides WHERE channel = ? AND key = ?",
                                               [Row.bind(channel), Row.bind(key)])
            }
            for (key, value) in values.sorted(by: { $0.key < $1.key }) {
                _ = try await connection.query("""
                    INSERT INTO channel_setting_overrides (channel, key, value, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (channel, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """, [Row.bind(channel), Row.bind(key), Row.bind(value), Row.bind(now)])
            }
        }
    }
}
