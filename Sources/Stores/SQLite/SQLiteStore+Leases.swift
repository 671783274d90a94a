import ChannelKit
import Foundation
import StoreSupport

// MARK: - The pipeline's claim: a conversation's oldest message first, on every host.

extension SQLiteStore {
    /// The claim of ``claimHead(_:owner:leaseUntil:at:)``, in the writer's transaction: the
    /// item, then the earliest open message of its conversation before it (the
    /// `inbox_open_conversation` index holds exactly the open ones), then the claim itself.
    static func claimHead(_ id: Int64, owner: String, leaseUntil: Date, at now: Date, on database: Database) throws -> HeadClaim {
        guard let item = try database.firstRow("""
            SELECT state, next_attempt_at, lease_expires_at, channel, account_id, sender_id, event_timestamp_ms
            FROM inbox WHERE id = ?1
            """, [Row.bind(id)], { row in
                (open: try Self.openItem(row), channel: try row.text(3), account: try row.text(4), sender: try row.text(5),
                 timestamp: try row.integer(6))
            }), let open = item.open else {
            return .finished
        }
        let blocker = try database.firstRow("""
            SELECT state, next_attempt_at, lease_expires_at FROM inbox
            WHERE channel = ?1 AND account_id = ?2 AND sender_id = ?3 AND (state = 'received' OR state = 'failed' OR state = 'processing')
              AND (event_timestamp_ms < ?4 OR (event_timestamp_ms = ?4 AND id < ?5))
            ORDER BY event_timestamp_ms, id LIMIT 1
            """, [Row.bind(item.channel), Row.bind(item.account), Row.bind(item.sender), Row.bind(item.timestamp), Row.bind(id)],
            Self.openItem)
        if let blocker = blocker.flatMap({ $0 }) {
            return .waiting(until: blocker.claimableAt(now))
        }
        let claimableAt = open.claimableAt(now)
        guard claimableAt <= now, var claimed = try claim(id, owner: owner, leaseUntil: leaseUntil, at: now, on: database) else {
            return .waiting(until: claimableAt)
        }
        // The conversation's takeover state, in the same transaction: the pipeline asks no more.
        let key = ConversationKey(channel: item.channel, accountID: item.account, userID: item.sender).storeKey
        claimed.controlReading = ConversationControlReading(stored: try sharedValue(scope: ConversationControl.scope, key: key, at: now,
                                                                                    on: database))
        return .claimed(claimed)
    }

    public func claimableHeadIDs(at now: Date) async throws -> [Int64] {
        try read("listing claimable conversations") { database in
            try database.rows(InboxQueries.claimableHeadIDs(now: "?1", open: .comparisons), [Row.bind(now)]) { try $0.integer(0) }
        }
    }

    public func openHead(of conversation: ConversationKey) async throws -> InboxItem? {
        try read("reading a conversation's oldest open message") { database in
            try database.firstRow("""
                SELECT \(Row.inboxColumns) FROM inbox
                WHERE channel = ?1 AND account_id = ?2 AND sender_id = ?3 AND (state = 'received' OR state = 'failed' OR state = 'processing')
                ORDER BY event_timestamp_ms, id LIMIT 1
                """, [Row.bind(conversation.channel), Row.bind(conversation.accountID), Row.bind(conversation.userID)],
                Row.inboxItem)
        }
    }

    /// Reads `state, next_attempt_at, lease_expires_at` from the row's first three columns.
    static func openItem(_ row: Columns) throws -> OpenInboxItem? {
        try OpenInboxItem(state: try row.text(0), nextAttemptAt: try row.optionalInteger(1), leaseExpiresAt: try row.optionalInteger(2))
    }
}
