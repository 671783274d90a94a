import ChannelKit
import Foundation
import PostgresNIO
import StoreSupport

// MARK: - The pipeline's claim: a conversation's oldest open message first, on every host.

extension PostgreSQLStore {
    public func claimHead(_ id: Int64, owner: String, leaseUntil: Date, at now: Date) async throws -> HeadClaim {
        try await session("claiming inbox item \(id)") { session in
            // One conditional UPDATE: claimable, and no earlier open message of the conversation.
            // Of two hosts claiming at once, the second waits for the first's row lock and
            // re-checks the condition on the claimed row.
            if let claimed = try await session.firstRow("""
                UPDATE inbox SET state = 'processing', lease_expires_at = \(Rows.ms(leaseUntil)), next_attempt_at = NULL,
                                 updated_at = \(Rows.ms(now)), unfinished_claims = unfinished_claims + 1,
                                 claim_epoch = claim_epoch + 1, lease_owner = \(owner)
                WHERE id = \(id) AND (
                    state = 'received'
                    OR (state = 'failed' AND (next_attempt_at IS NULL OR next_attempt_at <= \(Rows.ms(now))))
                    OR (state = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at <= \(Rows.ms(now)))))
                  AND NOT EXISTS (
                    SELECT 1 FROM inbox earlier
                    WHERE earlier.channel = inbox.channel AND earlier.account_id = inbox.account_id
                      AND earlier.sender_id = inbox.sender_id AND earlier.state IN ('received', 'failed', 'processing')
                      AND (earlier.event_timestamp_ms < inbox.event_timestamp_ms
                           OR (earlier.event_timestamp_ms = inbox.event_timestamp_ms AND earlier.id < inbox.id)))
                RETURNING \(unescaped: Rows.inboxColumns),
                    (SELECT value FROM shared_state
                     WHERE scope = \(ConversationControl.scope) AND key = \(unescaped: ConversationKey.storeKeySQL)
                       AND (expires_at IS NULL OR expires_at > \(Rows.ms(now))))
                """, Rows.claimedInboxItem) {
                // The conversation's takeover state came with the claim: the pipeline asks no more.
                return .claimed(claimed)
            }
            // Not claimed: say why, and when to ask again.
            guard let item = try await session.firstRow("""
                SELECT state, next_attempt_at, lease_expires_at, channel, account_id, sender_id, event_timestamp_ms
                FROM inbox WHERE id = \(id)
                """, { try $0.decode((String, Int64?, Int64?, String, String, String, Int64).self) }),
                  let open = try OpenInboxItem(state: item.0, nextAttemptAt: item.1, leaseExpiresAt: item.2) else {
                return .finished
            }
            let blocker = try await session.firstRow("""
                SELECT state, next_attempt_at, lease_expires_at FROM inbox
                WHERE channel = \(item.3) AND account_id = \(item.4) AND sender_id = \(item.5)
                  AND state IN ('received', 'failed', 'processing')
                  AND (event_timestamp_ms < \(item.6) OR (event_timestamp_ms = \(item.6) AND id < \(id)))
                ORDER BY event_timestamp_ms, id LIMIT 1
                """, { try $0.decode((String, Int64?, Int64?).self) })
            if let blocker, let earlier = try OpenInboxItem(state: blocker.0, nextAttemptAt: blocker.1, leaseExpiresAt: blocker.2) {
                return .waiting(until: earlier.claimableAt(now))
            }
            return .waiting(until: max(open.claimableAt(now), now))
        }
    }

    public func claimableHeadIDs(at now: Date) async throws -> [Int64] {
        var binds = PostgresBindings()
        binds.append(Rows.ms(now))
        let query = PostgresQuery(unsafeSQL: InboxQueries.claimableHeadIDs(now: "$1", open: .inList), binds: binds)
        return try await session("listing claimable conversations") { session in
            try await session.rows(query) { try $0.decode(Int64.self) }
        }
    }

    public func openHead(of conversation: ConversationKey) async throws -> InboxItem? {
        try await session("reading a conversation's oldest open message") { session in
            try await session.firstRow("""
                SELECT \(unescaped: Rows.inboxColumns) FROM inbox
                WHERE channel = \(conversation.channel) AND account_id = \(conversation.accountID)
                  AND sender_id = \(conversation.userID) AND state IN ('received', 'failed', 'processing')
                ORDER BY event_timestamp_ms, id LIMIT 1
                """, Rows.inboxItem)
        }
    }
}
