import ChannelKit
import Foundation
import PostgresNIO
import StoreSupport

// MARK: - OutboxStore

extension PostgreSQLStore {
    public func recordReply(for inboxID: Int64, parts messages: [OutboundMessage], conversation: ConversationKey,
                            turns: [ConversationTurn], fence: LeaseFence?, at now: Date) async throws -> [OutboxPart] {
        let encoded = messages.map { StoredJSON.encode($0) }
        let ids = encoded.indices.map { "\(inboxID).\($0)" }
        // The usual case in one statement; anything else (a reply already recorded, a lost
        // lease, an item no longer processing) in the transaction below, which says which.
        if turns.count <= Self.historyCapacity,
           try await session("recording the reply to inbox item \(inboxID)", { session in
               try await Self.recordFirstReply(inboxID, ids: ids, encoded: encoded, conversation: conversation, turns: turns,
                                               fence: fence, at: now, on: session)
           }) {
            return zip(ids, messages).enumerated().map { index, part in
                OutboxPart(id: part.0, inboxID: inboxID, index: index, message: part.1, state: .pending)
            }
        }
        return try await transaction("recording the reply to inbox item \(inboxID)") { session in
            // The item's row lock makes two recordings of one reply take turns: the second
            // then reads the parts the first committed (each statement sees the latest commits);
            // a claim of the item waits for it too, so the fence holds until the commit.
            try await Self.checkFence(fence, for: "record the reply to inbox item \(inboxID)", locking: true, on: session)
            guard let state = try await session.firstRow("SELECT state FROM inbox WHERE id = \(inboxID) FOR NO KEY UPDATE", {
                try $0.decode(String.self)
            }) else {
                throw StoreError(.invalidTransition, "no inbox item \(inboxID) to record a reply for")
            }
            let existing = try await Self.parts(for: inboxID, on: session)
            if !existing.isEmpty { return existing }
            // Only the worker answering the item records its reply: an item erased, dropped or
            // answered meanwhile keeps no new text.
            guard state == InboxState.processing.rawValue else {
                throw StoreError(.invalidTransition, "inbox item \(inboxID) is \(state), not processing: no reply is recorded")
            }
            guard !encoded.isEmpty else {
                try await Self.append(turns, to: conversation, on: session)
                return []
            }
            try await session.run("""
                INSERT INTO outbox (id, inbox_id, part_index, message_json, state, created_at, updated_at)
                SELECT part.id, \(inboxID), part.n - 1, part.json, 'pending', \(Rows.ms(now)), \(Rows.ms(now))
                FROM unnest(\(ids)::text[], \(encoded)::text[]) WITH ORDINALITY AS part (id, json, n)
                """)
            try await Self.append(turns, to: conversation, on: session)
            return zip(ids, messages).enumerated().map { index, part in
                OutboxPart(id: part.0, inboxID: inboxID, index: index, message: part.1, state: .pending)
            }
        }
    }

    public func parts(for inboxID: Int64) async throws -> [OutboxPart] {
        try await session("reading the reply to inbox item \(inboxID)") { session in
            try await Self.parts(for: inboxID, on: session)
        }
    }

    public func markSent(_ partID: String, platformMessageID: String?, fence: LeaseFence?, at now: Date) async throws {
        guard fence != nil else {
            return try await session("mark as sent outbox part \(partID)") { session in
                try await Self.markSent(partID, platformMessageID: platformMessageID, at: now, on: session)
            }
        }
        try await transaction("mark as sent outbox part \(partID)") { session in
            try await Self.checkFence(fence, for: "mark as sent outbox part \(partID)", locking: true, on: session)
            try await Self.markSent(partID, platformMessageID: platformMessageID, at: now, on: session)
        }
    }

    public func markSentAndComplete(_ partID: String, platformMessageID: String?, inboxID: Int64, fence: LeaseFence?,
                                    at now: Date) async throws {
        defer { StoredEventMemo.shared.forget(inboxID) }  // its text is not kept in memory once it is finished
        // One statement when both changes hold; when it changes nothing, the transaction
        // below finds out why and throws it (a lost lease, a part or an item in another state).
        let done = try await session("mark as sent outbox part \(partID) and complete") { session in
            try await session.returnsRow("""
                WITH item AS (
                    SELECT id FROM inbox
                    WHERE id = \(inboxID) AND state = 'processing' AND (\(fence == nil) OR claim_epoch = \(fence?.epoch ?? -1))
                    FOR NO KEY UPDATE),
                part AS (
                    UPDATE outbox SET state = 'sent', platform_message_id = \(platformMessageID), updated_at = \(Rows.ms(now))
                    WHERE id = \(partID) AND state = 'pending' AND EXISTS (SELECT 1 FROM item) RETURNING 1),
                done AS (
                    UPDATE inbox SET state = 'done', lease_expires_at = NULL, next_attempt_at = NULL, updated_at = \(Rows.ms(now)),
                                     unfinished_claims = 0
                    WHERE id IN (SELECT id FROM item) AND state = 'processing' AND EXISTS (SELECT 1 FROM part) RETURNING 1)
                SELECT 1 FROM done
                """)
        }
        guard !done else { return }
        try await transaction("mark as sent outbox part \(partID) and complete") { session in
            try await Self.checkFence(fence, for: "mark as sent outbox part \(partID) and complete", locking: true, on: session)
            try await Self.markSent(partID, platformMessageID: platformMessageID, at: now, on: session)
            try await Self.transition(inboxID, "complete", Self.completeQuery(inboxID, fence: fence, at: now), fence: fence, on: session)
        }
    }

    public func markFailed(_ partID: String, reason: String, fence: LeaseFence?, at now: Date) async throws {
        try await transaction("mark as failed outbox part \(partID)") { session in
            try await Self.checkFence(fence, for: "mark as failed outbox part \(partID)", locking: true, on: session)
            try await Self.partTransition(partID, "mark as failed", """
                UPDATE outbox SET state = 'failed', last_error = \(reason), updated_at = \(Rows.ms(now))
                WHERE id = \(partID) AND state = 'pending' RETURNING 1
                """, on: session)
        }
    }

    public func replaceRefusedPart(_ partID: String, with messages: [OutboundMessage], reason: String, abandoningRest: Bool,
                                   fence: LeaseFence?, at now: Date) async throws -> [OutboxPart] {
        let encoded = messages.map { StoredJSON.encode($0) }
        return try await transaction("replace outbox part \(partID)") { session in
            try await Self.checkFence(fence, for: "replace outbox part \(partID)", locking: true, on: session)
            // Checked (and locked) before anything changes, so a refusal changes nothing.
            guard let found = try await session.firstRow(
                "SELECT inbox_id, part_index, state FROM outbox WHERE id = \(partID) FOR UPDATE", {
                    try $0.decode((Int64, Int64, String).self)
                }) else {
                throw StoreError(.invalidTransition, "cannot replace outbox part \(partID): no such part")
            }
            let (inboxID, index, state) = found
            guard state == OutboxState.pending.rawValue else {
                throw StoreError(.invalidTransition, "cannot replace outbox part \(partID): it is \(state), not pending")
            }
            try await session.run("""
                UPDATE outbox SET state = 'failed', last_error = \(reason), updated_at = \(Rows.ms(now)) WHERE id = \(partID)
                """)
            // The later parts move along by the number of new ones, through negative indexes
            // and marked ids first, so that no row meets the (inbox_id, part_index) or id of another.
            try await session.run("""
                UPDATE outbox SET part_index = -1 - part_index, id = '~' || id WHERE inbox_id = \(inboxID) AND part_index > \(index)
                """)
            let shift = Int64(encoded.count)
            try await session.run("""
                UPDATE outbox SET part_index = -1 - part_index + \(shift),
                                  id = inbox_id::text || '.' || (-1 - part_index + \(shift))::text,
                                  state = CASE WHEN \(abandoningRest) AND state = 'pending' THEN 'failed' ELSE state END,
                                  last_error = CASE WHEN \(abandoningRest) AND state = 'pending' THEN \(OutboxPart.abandonedReason)
                                                    ELSE last_error END,
                                  updated_at = \(Rows.ms(now))
                WHERE inbox_id = \(inboxID) AND part_index < 0
                """)
            if !encoded.isEmpty {
                let ids = encoded.indices.map { "\(inboxID).\(index + 1 + Int64($0))" }
                try await session.run("""
                    INSERT INTO outbox (id, inbox_id, part_index, message_json, state, created_at, updated_at)
                    SELECT part.id, \(inboxID), \(index) + part.n, part.json, 'pending', \(Rows.ms(now)), \(Rows.ms(now))
                    FROM unnest(\(ids)::text[], \(encoded)::text[]) WITH ORDINALITY AS part (id, json, n)
                    """)
            }
            return try await Self.parts(for: inboxID, on: session)
        }
    }

    // MARK: Helpers

    /// Records the first reply to a processing item, its parts and turns, in one statement:
    /// the item's row is locked (the fence and the state checked on its newest version), and
    /// nothing is written unless it is processing under the fence with no part recorded yet.
    /// The history is trimmed first to leave room for the new turns, as `append` does after
    /// them (the statement's parts all see the same snapshot). Whether it recorded; a second
    /// recording that raced this one (the parts' ids are taken) is `false` too.
    private static func recordFirstReply(_ inboxID: Int64, ids: [String], encoded: [String], conversation: ConversationKey,
                                         turns: [ConversationTurn], fence: LeaseFence?, at now: Date,
                                         on session: Session) async throws -> Bool {
        let keep = Int64(historyCapacity - turns.count)
        do {
            return try await session.returnsRow("""
                WITH item AS (
                    SELECT id FROM inbox
                    WHERE id = \(inboxID) AND state = 'processing' AND (\(fence == nil) OR claim_epoch = \(fence?.epoch ?? -1))
                      AND NOT EXISTS (SELECT 1 FROM outbox WHERE inbox_id = \(inboxID))
                    FOR NO KEY UPDATE),
                parts AS (
                    INSERT INTO outbox (id, inbox_id, part_index, message_json, state, created_at, updated_at)
                    SELECT part.id, \(inboxID), part.n - 1, part.json, 'pending', \(Rows.ms(now)), \(Rows.ms(now))
                    FROM unnest(\(ids)::text[], \(encoded)::text[]) WITH ORDINALITY AS part (id, json, n)
                    WHERE EXISTS (SELECT 1 FROM item)),
                trimmed AS (
                    DELETE FROM conversation_turns
                    WHERE \(!turns.isEmpty) AND EXISTS (SELECT 1 FROM item)
                      AND channel = \(conversation.channel) AND account_id = \(conversation.accountID)
                      AND user_id = \(conversation.userID)
                      AND id <= (SELECT id FROM conversation_turns
                                 WHERE channel = \(conversation.channel) AND account_id = \(conversation.accountID)
                                   AND user_id = \(conversation.userID)
                                 ORDER BY id DESC LIMIT 1 OFFSET \(keep))),
                added AS (
                    INSERT INTO conversation_turns (channel, account_id, user_id, role, text, timestamp_ms)
                    SELECT \(conversation.channel), \(conversation.accountID), \(conversation.userID), turn.role, turn.text, turn.at
                    FROM unnest(\(turns.map(\.role.rawValue))::text[], \(turns.map(\.text))::text[],
                                \(turns.map { Rows.ms($0.timestamp) })::bigint[]) WITH ORDINALITY AS turn (role, text, at, n)
                    WHERE EXISTS (SELECT 1 FROM item)
                    ORDER BY turn.n)
                SELECT 1 FROM item
                """)
        } catch where PostgreSQLFailure.sqlState(of: error) == "23505" {
            return false  // unique violation: another recording of this reply committed first
        }
    }

    static func parts(for inboxID: Int64, on session: Session) async throws -> [OutboxPart] {
        try await session.rows("""
            SELECT \(unescaped: Rows.outboxColumns) FROM outbox WHERE inbox_id = \(inboxID) ORDER BY part_index
            """, Rows.outboxPart)
    }

    private static func markSent(_ partID: String, platformMessageID: String?, at now: Date, on session: Session) async throws {
        try await partTransition(partID, "mark as sent", """
            UPDATE outbox SET state = 'sent', platform_message_id = \(platformMessageID), updated_at = \(Rows.ms(now))
            WHERE id = \(partID) AND state = 'pending' RETURNING 1
            """, on: session)
    }

    /// Runs an outbox `UPDATE … WHERE id = … AND state = 'pending' RETURNING 1`; no row
    /// changed is an invalid transition.
    private static func partTransition(_ partID: String, _ action: String, _ query: PostgresQuery, on session: Session) async throws {
        try await guardedUpdate(query, on: session, thing: "outbox part \(partID)", action: action, expected: "pending",
                                missing: "no such part", state: "SELECT state FROM outbox WHERE id = \(partID)")
    }
}
