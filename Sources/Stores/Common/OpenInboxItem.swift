import ChannelKit
import Foundation

/// An open (received, failed or processing) inbox item's state and times, as both stores read
/// them for the claim of a conversation's head: when it can next be claimed.
package struct OpenInboxItem: Sendable {
    /// `received`, `failed` or `processing`.
    package var state: InboxState
    /// A failed item's next attempt.
    package var nextAttemptAt: Date?
    /// A processing item's lease end.
    package var leaseExpiresAt: Date?

    /// The item read from its stored columns (`state`, `next_attempt_at`, `lease_expires_at`,
    /// times in milliseconds); `nil` for a finished one.
    /// - Throws: `StoreError(.corrupt, …)` for a state this version does not know.
    package init?(state name: String, nextAttemptAt nextAttempt: Int64?, leaseExpiresAt lease: Int64?) throws {
        let state = try StoredValues.named(InboxState.self, name, what: "inbox state")
        guard !state.isTerminal else { return nil }
        self.state = state
        self.nextAttemptAt = nextAttempt.map { StoredValues.date(milliseconds: $0) }
        self.leaseExpiresAt = lease.map { StoredValues.date(milliseconds: $0) }
    }

    /// When it can next be claimed: now, its due time, or its lease's end.
    package func claimableAt(_ now: Date) -> Date {
        switch state {
        case .failed: max(now, nextAttemptAt ?? now)
        case .processing: max(now, leaseExpiresAt ?? now)
        default: now
        }
    }
}
