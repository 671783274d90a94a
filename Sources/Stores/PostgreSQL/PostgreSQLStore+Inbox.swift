import ChannelKit
import Foundation
import PostgresNIO
import StoreSupport

// MARK: - InboxStore

extension PostgreSQLStore {
    public func accept(_ events: [InboundEvent], traceContext: String?, at now: Date) async throws -> [InboxItem] {
        guard !events.isEmpty else { return [] }
        return try await accepts.accept(AcceptQueue.Call(events: events, now: now, traceContext: traceContext)) { calls in
            await self.acceptTogether(calls)
        }
    }

    public func claim(_ id: Int64, leaseUntil: Date, at now: Date) async throws -> InboxItem? {
        // One conditional UPDATE: of two hosts claiming at once, the second waits for the
        // first's row lock, re-checks the condition on the claimed row and finds it taken.
        try await session("claiming inbox item \(id)") { session in
            try await session.firstRow("""
                UPDATE inbox SET state = 'processing', lease_expires_at = \(Rows.ms(leaseUntil)), next_attempt_at = NULL,
                                 updated_at = \(Rows.ms(now)), unfinished_claims = unfinished_claims + 1,
                                 claim_epoch = claim_epoch + 1, lease_owner = NULL
                WHERE id = \(id) AND (
                    state = 'received'
                    OR (state = 'failed' AND (next_attempt_at IS NULL OR next_attempt_at <= \(Rows.ms(now))))
                    OR (state = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at <= \(Rows.ms(now)))))
                RETURNING \(unescaped: Rows.inboxColumns)
                """, Rows.inboxItem)
        }
    }

    public func renewLease(_ id: Int64, until: Date, fence: LeaseFence?, at now: Date) async throws {
        try await transition(id, "renew the lease of", """
            UPDATE inbox SET lease_expires_at = \(Rows.ms(until)), updated_at = \(Rows.ms(now))
            WHERE id = \(id) AND state = 'processing' AND (\(fence == nil) OR claim_epoch = \(fence?.epoch ?? -1)) RETURNING 1
            """, fence: fence)
    }

    public func complete(_ id: Int64, fence: LeaseFence?, at now: Date) async throws {
        defer { StoredEventMemo.shared.forget(id) }  // its text is not kept in memory once it is finished
        return try await transition(id, "complete", Self.completeQuery(id, fence: fence, at: now), fence: fence)
    }

    public func fail(_ id: Int64, reason: String, nextAttemptAt: Date, countsAsAttempt: Bool, fence: LeaseFence?,
                     at now: Date) async throws {
        try await transition(id, "fail", """
            UPDATE inbox SET state = 'failed', attempts = attempts + \(Int64(countsAsAttempt ? 1 : 0)),
                             next_attempt_at = \(Rows.ms(nextAttemptAt)), lease_expires_at = NULL, last_error = \(reason),
                             updated_at = \(Rows.ms(now)), unfinished_claims = 0
            WHERE id = \(id) AND state = 'processing' AND (\(fence == nil) OR claim_epoch = \(fence?.epoch ?? -1)) RETURNING 1
            """, fence: fence)
    }

    public func kill(_ id: Int64, reason: String, fence: LeaseFence?, at now: Date) async throws {
        defer { StoredEventMemo.shared.forget(id) }  // its text is not kept in memory once it is finished
        return try await transition(id, "kill", """
            UPDATE inbox SET state = 'dead', attempts = attempts + 1, next_attempt_at = NULL, lease_expires_at = NULL,
                             last_error = \(reason), updated_at = \(Rows.ms(now)), unfinished_claims = 0
            WHERE id = \(id) AND state = 'processing' AND (\(fence == nil) OR claim_epoch = \(fence?.epoch ?? -1)) RETURNING 1
            """, fence: fence)
    }

    public func releaseLeases(ownedBy owner: String, at now: Date) async throws -> Int {
        try await session("releasing leases") { session in
            try await session.count("""
                WITH changed AS (
                    UPDATE inbox SET state = 'received', lease_expires_at = NULL, updated_at = \(Rows.ms(now))
                    WHERE state = 'processing' AND lease_owner = \(owner) RETURNING 1)
                SELECT count(*) FROM changed
                """)
        }
    }

    public func expire(before cutoff: Date, at now: Date) async throws -> Int {
        try await session("expiring old inbox items") { session in
            try await session.count("""
                WITH changed AS (
                    UPDATE inbox SET state = 'expired', lease_expires_at = NULL, next_attempt_at = NULL, updated_at = \(Rows.ms(now))
                    WHERE state IN ('received', 'failed', 'processing') AND event_timestamp_ms < \(Rows.ms(cutoff))
                    RETURNING 1)
                SELECT count(*) FROM changed
                """)
        }
    }

    public func releaseAllLeases(at now: Date) async throws -> Int {
        try await session("releasing leases") { session in
            try await session.count("""
                WITH changed AS (
                    UPDATE inbox SET state = 'received', lease_expires_at = NULL, updated_at = \(Rows.ms(now))
                    WHERE state = 'processing' RETURNING 1)
                SELECT count(*) FROM changed
                """)
        }
    }

    public func pending(at now: Date) async throws -> [InboxItem] {
        try await session("listing pending inbox items") { session in
            try await session.rows("""
                SELECT \(unescaped: Rows.inboxColumns) FROM inbox
                WHERE state IN ('received', 'failed')
                   OR (state = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at <= \(Rows.ms(now))))
                ORDER BY channel, account_id, sender_id, event_timestamp_ms, id
                """, Rows.inboxItem)
        }
    }

    public func items(withIDs ids: [Int64]) async throws -> [InboxItem] {
        guard !ids.isEmpty else { return [] }
        return try await session("reading inbox items") { session in
            try await session.rows("""
                SELECT \(unescaped: Rows.inboxColumns) FROM inbox WHERE id = ANY(\(ids)) ORDER BY id
                """, Rows.inboxItem)
        }
    }

    public func items(in states: Set<InboxState>, limit: Int) async throws -> [InboxItem] {
        guard limit > 0, !states.isEmpty else { return [] }
        let names = states.map(\.rawValue).sorted()
        return try await session("listing inbox items") { session in
            try await session.rows("""
                SELECT \(unescaped: Rows.inboxColumns) FROM inbox WHERE state = ANY(\(names)) ORDER BY id LIMIT \(Int64(limit))
                """, Rows.inboxItem)
        }
    }

    public func item(_ id: Int64) async throws -> InboxItem? {
        try await session("reading inbox item \(id)") { session in
            try await session.firstRow("SELECT \(unescaped: Rows.inboxColumns) FROM inbox WHERE id = \(id)", Rows.inboxItem)
        }
    }

    public func retry(_ id: Int64, at now: Date) async throws -> Bool {
        try await session("retrying inbox item \(id)") { session in
            try await session.returnsRow("""
                UPDATE inbox SET state = 'received', attempts = 0, next_attempt_at = NULL, lease_expires_at = NULL,
                                 last_error = NULL, updated_at = \(Rows.ms(now)), unfinished_claims = 0
                WHERE id = \(id) AND (state IN ('failed', 'dead', 'expired')
                                      OR (state = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at <= \(Rows.ms(now)))))
                RETURNING 1
                """)
        }
    }

    public func drop(_ id: Int64, at now: Date) async throws -> Bool {
        defer { StoredEventMemo.shared.forget(id) }  // its text is not kept in memory once it is finished
        return try await session("dropping inbox item \(id)") { session in
            try await session.returnsRow("""
                UPDATE inbox SET state = 'dropped', next_attempt_at = NULL, lease_expires_at = NULL,
                                 updated_at = \(Rows.ms(now)), unfinished_claims = 0
                WHERE id = \(id) AND state NOT IN ('done', 'dropped')
                RETURNING 1
                """)
        }
    }

    public func redact(_ id: Int64, at now: Date) async throws -> Bool {
        defer { StoredEventMemo.shared.forget(id) }  // its text is not kept in memory once it is finished
        return try await transaction("redacting inbox item \(id)") { session in
            guard let json = try await session.firstRow("SELECT event_json FROM inbox WHERE id = \(id) FOR UPDATE", {
                try $0.decode(String.self)
            }) else { return false }
            let event = try StoredValues.decode(InboundEvent.self, json: json, column: "inbox.event_json")
            try await session.run("""
                UPDATE inbox SET event_json = \(StoredJSON.encode(event.redacted)), updated_at = \(Rows.ms(now)) WHERE id = \(id)
                """)
            return true
        }
    }

    public func counts() async throws -> [InboxState: Int] {
        try await session("counting inbox items") { session in
            var counts = Dictionary(uniqueKeysWithValues: InboxState.allCases.map { ($0, 0) })
            for (state, count) in try await session.rows("SELECT state, count(*) FROM inbox GROUP BY state", Rows.stateCount) {
                counts[state] = count
            }
            return counts
        }
    }

    // MARK: - Helpers

    /// `processing` → `done`, when the fence (if any) holds.
    static func completeQuery(_ id: Int64, fence: LeaseFence?, at now: Date) -> PostgresQuery {
        """
        UPDATE inbox SET state = 'done', lease_expires_at = NULL, next_attempt_at = NULL, updated_at = \(Rows.ms(now)),
                         unfinished_claims = 0
        WHERE id = \(id) AND state = 'processing' AND (\(fence == nil) OR claim_epoch = \(fence?.epoch ?? -1)) RETURNING 1
        """
    }

    /// Runs an inbox `UPDATE … WHERE id = … AND state = 'processing' [AND the fence holds]
    /// RETURNING 1`; no row changed is a lost lease when the fence no longer holds, else an
    /// invalid transition.
    private func transition(_ id: Int64, _ action: String, _ query: PostgresQuery, fence: LeaseFence?) async throws {
        try await session("\(action) inbox item \(id)") { session in
            try await Self.transition(id, action, query, fence: fence, on: session)
        }
    }

    static func transition(_ id: Int64, _ action: String, _ query: PostgresQuery, fence: LeaseFence?, on session: Session) async throws {
        guard try await !session.returnsRow(query) else { return }
        try await checkFence(fence, for: "\(action) inbox item \(id)", on: session)
        try await refuseTransition(on: session, thing: "inbox item \(id)", action: action, expected: "processing",
                                   missing: "no such item", state: "SELECT state FROM inbox WHERE id = \(id)")
    }

    /// Throws `leaseLost` unless the fenced item is `processing` with the fence's epoch. In a
    /// transaction, `locking` holds the item's row until the end, so that no claim can come
    /// between the check and the writes after it.
    static func checkFence(_ fence: LeaseFence?, for action: String, locking: Bool = false, on session: Session) async throws {
        guard let fence else { return }
        let held = try await session.returnsRow("""
            SELECT 1 FROM inbox WHERE id = \(fence.itemID) AND state = 'processing' AND claim_epoch = \(fence.epoch)
            \(unescaped: locking ? "FOR NO KEY UPDATE" : "")
            """)
        guard held else {
            throw StoreError(.leaseLost, "cannot \(action): the lease of inbox item \(fence.itemID) (epoch \(fence.epoch)) was lost")
        }
    }

    /// Runs an `UPDATE … RETURNING 1` guarded by a state; when it changes no row, throws an
    /// invalid transition that says what state the row is in (read with `state`).
    static func guardedUpdate(_ query: PostgresQuery, on session: Session, thing: String, action: String, expected: String,
                              missing: String, state: PostgresQuery) async throws {
        guard try await !session.returnsRow(query) else { return }
        try await refuseTransition(on: session, thing: thing, action: action, expected: expected, missing: missing, state: state)
    }

    /// Throws the invalid transition of an update that changed no row, saying what state the
    /// row is in (read with `state`).
    static func refuseTransition(on session: Session, thing: String, action: String, expected: String, missing: String,
                                 state: PostgresQuery) async throws {
        let found = try await session.firstRow(state) { try $0.decode(String.self) }
        throw StoreError(.invalidTransition, "cannot \(action) \(thing): " + (found.map { "it is \($0), not \(expected)" } ?? missing))
    }
}
