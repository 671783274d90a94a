import ChannelKit
import Foundation
import PostgresNIO

// MARK: - What operators read and change: counts per channel, linked identities, saved settings.

extension PostgreSQLStore {
    public func countsByChannel() async throws -> [String: [InboxState: Int]] {
        try await session("counting inbox items per channel") { session in
            var counts: [String: [InboxState: Int]] = [:]
            let rows = try await session.rows("SELECT channel, state, count(*) FROM inbox GROUP BY channel, state") {
                try $0.decode((String, String, Int64).self)
            }
            for (channel, stateName, count) in rows {
                guard let state = InboxState(rawValue: stateName) else {
                    throw StoreError(.corrupt, "unknown inbox state \(stateName)")
                }
                counts[channel, default: Dictionary(uniqueKeysWithValues: InboxState.allCases.map { ($0, 0) })][state] = Int(count)
            }
            return counts
        }
    }

    public func links(limit: Int) async throws -> [IdentityLink] {
        try await session("listing linked identities") { session in
            try await session.rows("""
                SELECT l.channel, l.user_id, l.linked_at, \(unescaped: Rows.profileColumns("p"))
                FROM identity_links l JOIN identity_profiles p ON p.id = l.profile_id
                ORDER BY l.linked_at DESC, l.channel DESC, l.user_id DESC LIMIT \(Int64(max(0, limit)))
                """) { row in
                let (channel, userID, linkedAt, id, email, displayName, preferences) =
                    try row.decode((String, String, Int64, String, String, String?, String).self)
                return IdentityLink(
                    identity: ChannelIdentity(channel: channel, userID: userID),
                    profile: SandraProfile(id: id, email: email, displayName: displayName,
                                           preferences: try Rows.preferences(preferences)),
                    linkedAt: Rows.date(linkedAt))
            }
        }
    }

    public func settingOverrides(channel: String) async throws -> [String: StoredSetting] {
        try await session("reading saved channel settings") { session in
            var settings: [String: StoredSetting] = [:]
            let rows = try await session.rows("""
                SELECT key, value, updated_at FROM channel_setting_overrides WHERE channel = \(channel)
                """) { try $0.decode((String, String, Int64).self) }
            for (key, value, updatedAt) in rows {
                settings[key] = StoredSetting(value: value, updatedAt: Rows.date(updatedAt))
            }
            return settings
        }
    }

    public func saveSettingOverrides(_ values: [String: String], removing removed: Set<String>, channel: String,
                                     at now: Date) async throws {
        let deleted = removed.subtracting(values.keys).sorted()
        let saved = values.sorted { $0.key < $1.key }
        let keys = saved.map(\.key), newValues = saved.map(\.value)
        try await transaction("saving channel settings") { session in
            if !deleted.isEmpty {
                try await session.run("""
                    DELETE FROM channel_setting_overrides WHERE channel = \(channel) AND key = ANY(\(deleted))
                    """)
            }
            if !keys.isEmpty {
                try await session.run("""
                    INSERT INTO channel_setting_overrides (channel, key, value, updated_at)
                    SELECT \(channel), setting.key, setting.value, \(Rows.ms(now))
                    FROM unnest(\(keys)::text[], \(newValues)::text[]) AS setting (key, value)
                    ON CONFLICT (channel, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """)
            }
        }
    }
}
