import ChannelKit
import Foundation
import StoreSupport

// MARK: - PrivacyStore: erasure on request and the retention sweep.

extension SQLiteStore: PrivacyStore {
    /// Items in these states are never worked on again: the retention sweep may touch them.
    private static let terminalStates = "('done', 'dead', 'expired', 'ignored', 'dropped')"

    /// How many items one write of the sweep rewrites: the writer serves webhooks between batches.
    static let sweepBatchSize = 500

    public func erase(_ identities: [ChannelIdentity], recording record: ErasureRecord, at now: Date) async throws -> ErasureRecord {
        defer { StoredEventMemo.shared.forget(eventsOf: identities) }  // no erased text is kept in memory
        return try await write("erasing a person's data") { database in
            var erased = record
            for person in try Self.everyID(of: identities, on: database) {
                let key = [Row.bind(person.channel), Row.bind(person.userID)]
                try database.run("DELETE FROM person_aliases WHERE channel = ?1 AND (alias_id = ?2 OR user_id = ?2)", key)
                let rows = try database.rows("SELECT id, event_json FROM inbox WHERE channel = ?1 AND sender_id = ?2", key) {
                    (id: try $0.integer(0), json: try $0.text(1))
                }
                for row in rows {
                    let event = try Row.decode(InboundEvent.self, json: row.json, column: "event_json")
                    try database.run("""
                        UPDATE inbox SET event_json = ?1, sender_id = ?2, content_removed_at = ?3, updated_at = ?3,
                            state = CASE WHEN state IN ('received', 'failed', 'processing', 'dead', 'expired') THEN 'dropped' ELSE state END,
                            lease_expires_at = NULL, next_attempt_at = NULL
                        WHERE id = ?4
                        """, [Row.bind(StoredJSON.encode(event.erased)), Row.bind(InboundEvent.erasedSenderID), Row.bind(now),
                              Row.bind(row.id)])
                    erased.inboxItems += 1
                    erased.outboxParts += try Self.removeContent(ofPartsOf: row.id, on: database)
                }
                erased.turns += try database.rows(
                    "DELETE FROM conversation_turns WHERE channel = ?1 AND user_id = ?2 RETURNING id", key) { _ in () }.count
                erased.identityRecords += try Self.eraseIdentity(key, on: database)
            }
            try database.run("""
                INSERT INTO erasures (confirmation_code, source, channels_json, erased_at,
                                      inbox_items, outbox_parts, turns, identity_records)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, [Row.bind(erased.confirmationCode), Row.bind(erased.source),
                      Row.bind(StoredJSON.encode(erased.channels)), Row.bind(erased.erasedAt), Row.bind(erased.inboxItems),
                      Row.bind(erased.outboxParts), Row.bind(erased.turns), Row.bind(erased.identityRecords)])
            return erased
        }
    }

    /// The people asked for with every id they are known by (``PersonAliases``): the id their
    /// conversation is keyed on and each id recorded for it, so that erasing a phone number
    /// also erases what is kept under the person's business-scoped id, and the other way round.
    private static func everyID(of identities: [ChannelIdentity], on database: Database) throws -> [ChannelIdentity] {
        var people = Set(identities)
        for person in identities {
            let keys = try database.rows("SELECT user_id FROM person_aliases WHERE channel = ?1 AND alias_id = ?2",
                                         [Row.bind(person.channel), Row.bind(person.userID)]) { try $0.text(0) }
            for key in keys + [person.userID] {
                people.insert(ChannelIdentity(channel: person.channel, userID: key))
                let aliases = try database.rows("SELECT alias_id FROM person_aliases WHERE channel = ?1 AND user_id = ?2",
                                                [Row.bind(person.channel), Row.bind(key)]) { try $0.text(0) }
                for alias in aliases { people.insert(ChannelIdentity(channel: person.channel, userID: alias)) }
            }
        }
        return Array(people)
    }

    public func erasure(confirmationCode: String) async throws -> ErasureRecord? {
        try read("reading an erasure") { database in
            try database.firstRow("""
                SELECT confirmation_code, source, channels_json, erased_at,
                       inbox_items, outbox_parts, turns, identity_records
                FROM erasures WHERE confirmation_code = ?
                """, [Row.bind(confirmationCode)]) { row in
                ErasureRecord(
                    confirmationCode: try row.text(0), source: try row.text(1),
                    channels: try Row.decode([String].self, json: try row.text(2), column: "channels_json"),
                    erasedAt: Row.date(milliseconds: try row.integer(3)), inboxItems: Int(try row.integer(4)),
                    outboxParts: Int(try row.integer(5)), turns: Int(try row.integer(6)), identityRecords: Int(try row.integer(7)))
            }
        }
    }

    public func sweepRetention(textBefore: Date, keysBefore: Date, at now: Date) async throws -> RetentionSweep {
        var sweep = RetentionSweep()
        sweep.inboxItemsDeleted = try await write("deleting old inbox items") { database in
            // Their outbox parts go with them (ON DELETE CASCADE).
            try database.rows("""
                DELETE FROM inbox WHERE state IN \(Self.terminalStates) AND received_at < ?1 RETURNING id
                """, [Row.bind(keysBefore)]) { _ in () }.count
        }
        while true {
            let batch = try await write("removing the text of old inbox items") { database in
                let rows = try database.rows("""
                    SELECT id, event_json FROM inbox
                    WHERE state IN \(Self.terminalStates) AND received_at < ?1 AND content_removed_at IS NULL
                    LIMIT ?2
                    """, [Row.bind(textBefore), Row.bind(Self.sweepBatchSize)]) { (id: try $0.integer(0), json: try $0.text(1)) }
                var redacted = 0, parts = 0
                for row in rows {
                    let event = try Row.decode(InboundEvent.self, json: row.json, column: "event_json")
                    let stripped = event.withoutContent
                    if stripped != event {
                        try database.run("UPDATE inbox SET event_json = ?1, content_removed_at = ?2, updated_at = ?2 WHERE id = ?3",
                                         [Row.bind(StoredJSON.encode(stripped)), Row.bind(now), Row.bind(row.id)])
                        redacted += 1
                    } else {
                        try database.run("UPDATE inbox SET content_removed_at = ?1 WHERE id = ?2", [Row.bind(now), Row.bind(row.id)])
                    }
                    parts += try Self.removeContent(ofPartsOf: row.id, on: database)
                }
                return (rows: rows.count, redacted: redacted, parts: parts)
            }
            sweep.inboxItemsRedacted += batch.redacted
            sweep.outboxPartsRedacted += batch.parts
            if batch.rows < Self.sweepBatchSize { break }
        }
        sweep.turnsDeleted = try await write("deleting old conversation turns") { database in
            try database.rows("DELETE FROM conversation_turns WHERE timestamp_ms < ?1 RETURNING id", [Row.bind(textBefore)]) { _ in () }.count
        }
        // Expired shared state reads as absent already; this only frees its rows.
        try await write("deleting expired shared state") { database in
            try database.run("DELETE FROM shared_state WHERE expires_at <= ?1", [Row.bind(now)])
        }
        return sweep
    }

    /// Replaces the text of an item's outbox parts.
    /// - Returns: how many parts changed.
    private static func removeContent(ofPartsOf inboxID: Int64, on database: Database) throws -> Int {
        let parts = try database.rows("SELECT id, message_json FROM outbox WHERE inbox_id = ?1", [Row.bind(inboxID)]) {
            (id: try $0.text(0), json: try $0.text(1))
        }
        var changed = 0
        for part in parts {
            let message = try Row.decode(OutboundMessage.self, json: part.json, column: "message_json")
            let stripped = message.withoutContent
            guard stripped != message else { continue }
            try database.run("UPDATE outbox SET message_json = ?1 WHERE id = ?2", [Row.bind(StoredJSON.encode(stripped)), Row.bind(part.id)])
            changed += 1
        }
        return changed
    }

    /// Deletes an identity's link, pending code and audit records, and its profile when no
    /// other identity is linked to it. `key`: the channel and the user id.
    /// - Returns: how many rows were deleted.
    private static func eraseIdentity(_ key: [SQLValue], on database: Database) throws -> Int {
        var deleted = 0
        let profileID = try database.firstRow(
            "DELETE FROM identity_links WHERE channel = ?1 AND user_id = ?2 RETURNING profile_id", key) { try $0.text(0) }
        if let profileID {
            deleted += 1
            deleted += try database.rows("""
                DELETE FROM identity_profiles WHERE id = ?1
                  AND NOT EXISTS (SELECT 1 FROM identity_links WHERE profile_id = ?1)
                RETURNING id
                """, [Row.bind(profileID)]) { _ in () }.count
        }
        deleted += try database.rows(
            "DELETE FROM identity_pending_codes WHERE channel = ?1 AND user_id = ?2 RETURNING code_id", key) { _ in () }.count
        deleted += try database.rows(
            "DELETE FROM identity_audit WHERE channel = ?1 AND user_id = ?2 RETURNING id", key) { _ in () }.count
        return deleted
    }
}
