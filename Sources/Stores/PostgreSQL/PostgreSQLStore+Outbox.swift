import ChannelKit
import Foundation
import PostgresNIO
import StoreSupport

// MARK: - OutboxStore

extension PostgreSQLStore {
    public func recordReply(for inboxID: Int64, parts messages: [OutboundMessage], conversation: ConversationKey,
                            turns: [ConversationTurn], fence: LeaseFence?, at now: Date) async throws -> [OutboxPart] {
        let encoded = messages.map { StoredJSON.encode($0) }
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
            let ids = encoded.indices.map { "\(inboxID).\($0)" }
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
