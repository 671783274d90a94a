/// SQL that both stores run word for word, with each store's placeholder for the values.
public enum InboxQueries {
    /// The states of an open message: one a worker may still have to answer.
    public static let openStates = "('received', 'failed', 'processing')"

    /// The ids of the conversations' heads that can be claimed now (see
    /// `InboxStore.claimableHeadIDs(at:)`). Both scans are of the `inbox_open_conversation`
    /// index, which holds the open messages alone.
    /// - Parameter now: the placeholder of the current time in milliseconds (`?1`, `$1`).
    public static func claimableHeadIDs(now: String) -> String {
        """
        SELECT id FROM inbox AS head
        WHERE state IN \(openStates)
          AND NOT EXISTS (
            SELECT 1 FROM inbox AS earlier
            WHERE earlier.channel = head.channel AND earlier.account_id = head.account_id
              AND earlier.sender_id = head.sender_id AND earlier.state IN \(openStates)
              AND (earlier.event_timestamp_ms < head.event_timestamp_ms
                   OR (earlier.event_timestamp_ms = head.event_timestamp_ms AND earlier.id < head.id)))
          AND (state = 'received'
               OR (state = 'failed' AND (next_attempt_at IS NULL OR next_attempt_at <= \(now)))
               OR (state = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at <= \(now))))
        """
    }
}
