/// SQL that both stores run word for word, with each store's placeholder for the values.
public enum InboxQueries {
    /// The states of an open message: one a worker may still have to answer.
    public static let openStates = "('received', 'failed', 'processing')"

    /// How a store writes "the message is open" in its queries: the condition of its
    /// `inbox_open_conversation` index, word for word, so that the planner sees the index
    /// applies.
    public enum OpenCondition: Sendable {
        /// `state IN ('received', 'failed', 'processing')` (PostgreSQL).
        case inList
        /// `(state = 'received' OR state = 'failed' OR state = 'processing')` (SQLite, whose
        /// `IN` over three constants builds a temporary table each time a statement runs,
        /// and each time a row changes, since the index's own condition is evaluated then).
        case comparisons

        /// The condition on `column` (a qualified `state` column, say).
        public func on(_ column: String) -> String {
            switch self {
            case .inList: "\(column) IN \(InboxQueries.openStates)"
            case .comparisons: "(\(column) = 'received' OR \(column) = 'failed' OR \(column) = 'processing')"
            }
        }
    }

    /// The ids of the conversations' heads that can be claimed now (see
    /// `InboxStore.claimableHeadIDs(at:)`). Both scans are of the `inbox_open_conversation`
    /// index, which holds the open messages alone.
    /// - Parameters:
    ///   - now: the placeholder of the current time in milliseconds (`?1`, `$1`).
    ///   - open: how the store writes the open states (its index's condition).
    public static func claimableHeadIDs(now: String, open: OpenCondition) -> String {
        """
        SELECT id FROM inbox AS head
        WHERE \(open.on("state"))
          AND NOT EXISTS (
            SELECT 1 FROM inbox AS earlier
            WHERE earlier.channel = head.channel AND earlier.account_id = head.account_id
              AND earlier.sender_id = head.sender_id AND \(open.on("earlier.state"))
              AND (earlier.event_timestamp_ms < head.event_timestamp_ms
                   OR (earlier.event_timestamp_ms = head.event_timestamp_ms AND earlier.id < head.id)))
          AND (state = 'received'
               OR (state = 'failed' AND (next_attempt_at IS NULL OR next_attempt_at <= \(now)))
               OR (state = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at <= \(now))))
        """
    }
}
