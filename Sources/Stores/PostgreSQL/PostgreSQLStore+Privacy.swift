import ChannelKit
import Foundation
import PostgresNIO
import StoreSupport

// MARK: - PrivacyStore: erasure on request and the retention sweep.

extension PostgreSQLStore {
    /// Items in these states are never worked on again: the retention sweep may touch them.
    private static let terminalStates = ["done", "dead", "expired", "ignored", "dropped"]

    /// How many items one transaction of the sweep rewrites.
    static let sweepBatchSize = 500

    public func erase(_ identities: [ChannelIdentity], recording record: ErasureRecord, at now: Date) async throws -> ErasureRecord {
        defer { StoredEventMemo.shared.forget(eventsOf: identities) }  // no erased text is kept in memory
        let channelsJSON = StoredJSON.encode(record.channels)
        return try await transaction("erasing a person's data") { session in
            var erased = record
            for person in try await Self.everyID(of: identities, on: session) {
                let (channel, user) = (person.channel, person.userID)
                try await session.run("""
                    DELETE FROM person_aliases WHERE channel = \(channel) AND (alias_id = \(user) OR user_id = \(user))
                    """)
                let rows = try await session.rows("""
                    SELECT id, event_json FROM inbox WHERE channel = \(channel) AND sender_id = \(user) ORDER BY id FOR UPDATE
                    """) { try $0.decode((Int64, String).self) }
                var ids: [Int64] = [], jsons: [String] = []
                for (id, json) in rows {
                    ids.append(id)
                    jsons.append(StoredJSON.encode(try StoredValues.decode(InboundEvent.self, json: json, column: "inbox.event_json").erased))
                }
                if !ids.isEmpty {
                    try await session.run("""
                        UPDATE inbox SET event_json = changed.json, sender_id = \(InboundEvent.erasedSenderID),
                            content_removed_at = \(Rows.ms(now)), updated_at = \(Rows.ms(now)),
                            state = CASE WHEN state IN ('received', 'failed', 'processing', 'dead', 'expired') THEN 'dropped'
                                         ELSE state END,
                            lease_expires_at = NULL, next_attempt_at = NULL
                        FROM unnest(\(ids)::bigint[], \(jsons)::text[]) AS changed (id, json)
                        WHERE inbox.id = changed.id
                        """)
                    erased.inboxItems += ids.count
                    erased.outboxParts += try await Self.removeContent(ofPartsOf: ids, on: session)
                }
                erased.turns += try await session.count("""
                    WITH gone AS (DELETE FROM conversation_turns WHERE channel = \(channel) AND user_id = \(user) RETURNING 1)
                    SELECT count(*) FROM gone
                    """)
                erased.identityRecords += try await Self.eraseIdentity(person, on: session)
            }
            try await session.run("""
                INSERT INTO erasures (confirmation_code, source, channels_json, erased_at, inbox_items, outbox_parts, turns,
                                      identity_records)
                VALUES (\(erased.confirmationCode), \(erased.source), \(channelsJSON), \(Rows.ms(erased.erasedAt)),
                        \(Int64(erased.inboxItems)), \(Int64(erased.outboxParts)), \(Int64(erased.turns)),
                        \(Int64(erased.identityRecords)))
                """)
            return erased
        }
    }

    /// The people asked for with every id they are known by (``PersonAliases``).
    private static func everyID(of identities: [ChannelIdentity], on session: Session) async throws -> [ChannelIdentity] {
        var people = Set(identities)
        for person in identities {
            let keys = try await session.rows("""
                SELECT user_id FROM person_aliases WHERE channel = \(person.channel) AND alias_id = \(person.userID)
                """) { try $0.decode(String.self) }
            for key in keys + [person.userID] {
                people.insert(ChannelIdentity(channel: person.channel, userID: key))
                let aliases = try await session.rows("""
                    SELECT alias_id FROM person_aliases WHERE channel = \(person.channel) AND user_id = \(key)
                    """) { try $0.decode(String.self) }
                for alias in aliases { people.insert(ChannelIdentity(channel: person.channel, userID: alias)) }
            }
        }
        return people.sorted { ($0.channel, $0.userID) < ($1.channel, $1.userID) }
    }

    public func erasure(confirmationCode: String) async throws -> ErasureRecord? {
        try await session("reading an erasure") { session in
            try await session.firstRow("""
                SELECT confirmation_code, source, channels_json, erased_at, inbox_items, outbox_parts, turns, identity_records
                FROM erasures WHERE confirmation_code = \(confirmationCode)
                """) { row in
                let (code, source, channels, erasedAt, items, parts, turns, records) =
                    try row.decode((String, String, String, Int64, Int64, Int64, Int64, Int64).self)
                return ErasureRecord(
                    confirmationCode: code, source: source,
                    channels: try StoredValues.decode([String].self, json: channels, column: "erasures.channels_json"),
                    erasedAt: Rows.date(erasedAt), inboxItems: Int(items), outboxParts: Int(parts), turns: Int(turns),
                    identityRecords: Int(records))
            }
        }
    }

    public func sweepRetention(textBefore: Date, keysBefore: Date, at now: Date) async throws -> RetentionSweep {
        var sweep = RetentionSweep()
        let terminal = Self.terminalStates
        sweep.inboxItemsDeleted = try await session("deleting old inbox items") { session in
            // Their outbox parts go with them (ON DELETE CASCADE).
            try await session.count("""
                WITH gone AS (DELETE FROM inbox WHERE state = ANY(\(terminal)) AND received_at < \(Rows.ms(keysBefore)) RETURNING 1)
                SELECT count(*) FROM gone
                """)
        }
        while true {
            let batch = try await transaction("removing the text of old inbox items") { session in
                // SKIP LOCKED: two hosts sweeping at once share the work instead of doing it twice.
                let rows = try await session.rows("""
                    SELECT id, event_json FROM inbox
                    WHERE state = ANY(\(terminal)) AND received_at < \(Rows.ms(textBefore)) AND content_removed_at IS NULL
                    ORDER BY id LIMIT \(Int64(Self.sweepBatchSize))
                    FOR UPDATE SKIP LOCKED
                    """) { try $0.decode((Int64, String).self) }
                var ids: [Int64] = [], changedIDs: [Int64] = [], changedJSONs: [String] = []
                for (id, json) in rows {
                    let event = try StoredValues.decode(InboundEvent.self, json: json, column: "inbox.event_json")
                    let stripped = event.withoutContent
                    ids.append(id)
                    if stripped != event {
                        changedIDs.append(id)
                        changedJSONs.append(StoredJSON.encode(stripped))
                    }
                }
                guard !ids.isEmpty else { return (rows: 0, redacted: 0, parts: 0) }
                try await session.run("UPDATE inbox SET content_removed_at = \(Rows.ms(now)) WHERE id = ANY(\(ids))")
                if !changedIDs.isEmpty {
                    try await session.run("""
                        UPDATE inbox SET event_json = changed.json, updated_at = \(Rows.ms(now))
                        FROM unnest(\(changedIDs)::bigint[], \(changedJSONs)::text[]) AS changed (id, json)
                        WHERE inbox.id = changed.id
                        """)
                }
                let parts = try await Self.removeContent(ofPartsOf: ids, on: session)
                return (rows: rows.count, redacted: changedIDs.count, parts: parts)
            }
            sweep.inboxItemsRedacted += batch.redacted
            sweep.outboxPartsRedacted += batch.parts
            if batch.rows < Self.sweepBatchSize { break }
        }
        sweep.turnsDeleted = try await session("deleting old conversation turns") { session in
            try await session.count("""
                WITH gone AS (DELETE FROM conversation_turns WHERE timestamp_ms < \(Rows.ms(textBefore)) RETURNING 1)
                SELECT count(*) FROM gone
                """)
        }
        // Expired shared state reads as absent already; this only frees its rows.
        try await session("deleting expired shared state") { session in
            try await session.run("DELETE FROM shared_state WHERE expires_at <= \(Rows.ms(now))")
        }
        return sweep
    }

    /// Replaces the text of the outbox parts of these items.
    /// - Returns: how many parts changed.
    private static func removeContent(ofPartsOf inboxIDs: [Int64], on session: Session) async throws -> Int {
        let parts = try await session.rows("""
            SELECT id, message_json FROM outbox WHERE inbox_id = ANY(\(inboxIDs)) ORDER BY id FOR UPDATE
            """) { try $0.decode((String, String).self) }
        var ids: [String] = [], jsons: [String] = []
        for (id, json) in parts {
            let message = try StoredValues.decode(OutboundMessage.self, json: json, column: "outbox.message_json")
            let stripped = message.withoutContent
            guard stripped != message else { continue }
            ids.append(id)
            jsons.append(StoredJSON.encode(stripped))
        }
        guard !ids.isEmpty else { return 0 }
        try await session.run("""
            UPDATE outbox SET message_json = changed.json
            FROM unnest(\(ids)::text[], \(jsons)::text[]) AS changed (id, json)
            WHERE outbox.id = changed.id
            """)
        return ids.count
    }

    /// Deletes an identity's link, pending code and audit records, and its profile when no
    /// other identity is linked to it.
    /// - Returns: how many rows were deleted.
    private static func eraseIdentity(_ person: ChannelIdentity, on session: Session) async throws -> Int {
        var deleted = 0
        if let profileID = try await session.firstRow("""
            DELETE FROM identity_links WHERE channel = \(person.channel) AND user_id = \(person.userID) RETURNING profile_id
            """, { try $0.decode(String.self) }) {
            deleted += 1
            deleted += try await session.count("""
                WITH gone AS (
                    DELETE FROM identity_profiles WHERE id = \(profileID)
                      AND NOT EXISTS (SELECT 1 FROM identity_links WHERE profile_id = \(profileID))
                    RETURNING 1)
                SELECT count(*) FROM gone
                """)
        }
        deleted += try await session.count("""
            WITH gone AS (
                DELETE FROM identity_pending_codes WHERE channel = \(person.channel) AND user_id = \(person.userID) RETURNING 1)
            SELECT count(*) FROM gone
            """)
        deleted += try await session.count("""
            WITH gone AS (DELETE FROM identity_audit WHERE channel = \(person.channel) AND user_id = \(person.userID) RETURNING 1)
            SELECT count(*) FROM gone
            """)
        return deleted
    }
}
