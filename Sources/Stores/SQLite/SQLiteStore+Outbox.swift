import ChannelKit
import Foundation
import StoreSupport

// MARK: - OutboxStore: recording replies, marking parts, replacing a part the platform refused.

extension SQLiteStore {
    public func recordReply(for inboxID: Int64, parts messages: [OutboundMessage], conversation: ConversationKey,
                            turns: [ConversationTurn], fence: LeaseFence?, at now: Date) async throws -> [OutboxPart] {
        let encoded = messages.map { (message: $0, json: StoredJSON.encode($0)) }
        // Not forced to disk by itself: the first part is sent only after this returns, and
        // the write that marks it sent (or records its failure) is, and it makes this one
        // durable with it. A power cut before that loses a reply whose send was in flight at
        // most, which is the one send the guarantees allow to repeat.
        return try await write("recording the reply to inbox item \(inboxID)", durable: false) { database in
            try Self.checkFence(fence, for: "record the reply to inbox item \(inboxID)", on: database)
            let existing = try database.rows(
                "SELECT \(Row.outboxColumns) FROM outbox WHERE inbox_id = ? ORDER BY part_index", [Row.bind(inboxID)], Row.outboxPart)
            if !existing.isEmpty { return existing }
            guard let state = try database.firstRow("SELECT state FROM inbox WHERE id = ?", [Row.bind(inboxID)], { try $0.text(0) }) else {
                throw StoreError(.invalidTransition, "no inbox item \(inboxID) to record a reply for")
            }
            // Only the worker answering the item records its reply: an item erased, dropped or
            // answered meanwhile keeps no new text.
            guard state == InboxState.processing.rawValue else {
                throw StoreError(.invalidTransition, "inbox item \(inboxID) is \(state), not processing: no reply is recorded")
            }
            var parts: [OutboxPart] = []
            for (index, part) in encoded.enumerated() {
                let id = "\(inboxID).\(index)"
                try database.run("""
                    INSERT INTO outbox (id, inbox_id, part_index, message_json, state, created_at, updated_at)
                    VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5)
                    """, [Row.bind(id), Row.bind(inboxID), Row.bind(index), Row.bind(part.json), Row.bind(now)])
                parts.append(OutboxPart(id: id, inboxID: inboxID, index: index, message: part.message, state: .pending))
            }
            try Self.append(turns, to: conversation, on: database)
            return parts
        }
    }

    public func parts(for inboxID: Int64) async throws -> [OutboxPart] {
        try read("reading the reply to inbox item \(inboxID)") { database in
            try database.rows(
                "SELECT \(Row.outboxColumns) FROM outbox WHERE inbox_id = ? ORDER BY part_index", [Row.bind(inboxID)], Row.outboxPart)
        }
    }

    public func markSent(_ partID: String, platformMessageID: String?, fence: LeaseFence?, at now: Date) async throws {
        try await write("mark as sent outbox part \(partID)") { database in
            try Self.checkFence(fence, for: "mark as sent outbox part \(partID)", on: database)
            try Self.markSent(partID, platformMessageID: platformMessageID, at: now, on: database)
        }
    }

    public func markSentAndComplete(_ partID: String, platformMessageID: String?, inboxID: Int64, fence: LeaseFence?,
                                    at now: Date) async throws {
        defer { StoredEventMemo.shared.forget(inboxID) }  // its text is not kept in memory once it is finished
        return try await write("mark as sent outbox part \(partID) and complete") { database in
            try Self.checkFence(fence, for: "mark as sent outbox part \(partID) and complete", on: database)
            try Self.markSent(partID, platformMessageID: platformMessageID, at: now, on: database)
            try Self.transition(inboxID, "complete", Self.completeSQL, [Row.bind(now), Row.bind(inboxID)], on: database)
        }
    }

    public func markFailed(_ partID: String, reason: String, fence: LeaseFence?, at now: Date) async throws {
        try await write("mark as failed outbox part \(partID)") { database in
            try Self.checkFence(fence, for: "mark as failed outbox part \(partID)", on: database)
            try Self.partTransition(partID, "mark as failed", """
                UPDATE outbox SET state = 'failed', last_error = ?1, updated_at = ?2 WHERE id = ?3 AND state = 'pending'
                """, [Row.bind(reason), Row.bind(now), Row.bind(partID)], on: database)
        }
    }

    static func markSent(_ partID: String, platformMessageID: String?, at now: Date, on database: Database) throws {
        try partTransition(partID, "mark as sent", """
            UPDATE outbox SET state = 'sent', platform_message_id = ?1, updated_at = ?2 WHERE id = ?3 AND state = 'pending'
            """, [Row.bind(platformMessageID), Row.bind(now), Row.bind(partID)], on: database)
    }

    /// Runs an outbox `UPDATE … WHERE id = ? AND state = 'pending'`; no row changed is an invalid transition.
    static func partTransition(_ partID: String, _ action: String, _ sql: String, _ binds: [SQLValue],
                                       on database: Database) throws {
        try guardedUpdate(sql, binds, table: "outbox", key: Row.bind(partID), thing: "outbox part \(partID)", action: action,
                          expected: "pending", missing: "no such part", on: database)
    }

    public func replaceRefusedPart(_ partID: String, with messages: [OutboundMessage], reason: String, abandoningRest: Bool,
                                   fence: LeaseFence?, at now: Date) async throws -> [OutboxPart] {
        let encoded = messages.map { StoredJSON.encode($0) }
        return try await write("replace outbox part \(partID)") { database in
            try Self.checkFence(fence, for: "replace outbox part \(partID)", on: database)
            // Checked before anything changes, so a refusal leaves the transaction as it was.
            guard let found = try database.firstRow("SELECT inbox_id, part_index, state FROM outbox WHERE id = ?1",
                                                    [Row.bind(partID)], { (inboxID: try $0.integer(0), index: try $0.integer(1), state: try $0.text(2)) })
            else {
                throw StoreError(.invalidTransition, "cannot replace outbox part \(partID): no such part")
            }
            guard found.state == OutboxState.pending.rawValue else {
                throw StoreError(.invalidTransition, "cannot replace outbox part \(partID): it is \(found.state), not pending")
            }
            try database.run("""
                UPDATE outbox SET state = 'failed', last_error = ?1, updated_at = ?2 WHERE id = ?3
                """, [Row.bind(reason), Row.bind(now), Row.bind(partID)])
            // The later parts move along by the number of new ones. Through negative indexes and
            // marked ids first, so that no step meets the (inbox_id, part_index) or id of another.
            let inbox = Row.bind(found.inboxID)
            let index = Row.bind(found.index)
            try database.run("""
                UPDATE outbox SET part_index = -1 - part_index, id = '~' || id WHERE inbox_id = ?1 AND part_index > ?2
                """, [inbox, index])
            try database.run("""
                UPDATE outbox SET part_index = -1 - part_index + ?2, id = inbox_id || '.' || (-1 - part_index + ?2),
                                  state = CASE WHEN ?3 = 1 AND state = 'pending' THEN 'failed' ELSE state END,
                                  last_error = CASE WHEN ?3 = 1 AND state = 'pending' THEN ?4 ELSE last_error END,
                                  updated_at = ?5
                WHERE inbox_id = ?1 AND part_index < 0
                """, [inbox, Row.bind(encoded.count), Row.bind(abandoningRest ? 1 : 0), Row.bind(OutboxPart.abandonedReason),
                      Row.bind(now)])
            for (offset, json) in encoded.enumerated() {
                let newIndex = Int(found.index) + 1 + offset
                try database.run("""
                    INSERT INTO outbox (id, inbox_id, part_index, message_json, state, created_at, updated_at)
                    VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5)
                    """, [Row.bind("\(found.inboxID).\(newIndex)"), inbox, Row.bind(newIndex), Row.bind(json), Row.bind(now)])
            }
            return try database.rows(
                "SELECT \(Row.outboxColumns) FROM outbox WHERE inbox_id = ? ORDER BY part_index", [inbox], Row.outboxPart)
        }
    }
}
