import Foundation

/// What ``InboxStore/claimHead(_:owner:leaseUntil:at:)`` came to.
public enum HeadClaim: Sendable, Hashable {
    /// Claimed: the item is `processing` under the caller's lease.
    case claimed(InboxItem)
    /// Not now: an earlier message of the conversation still needs work, another worker holds
    /// the item, or its next attempt is not due. Try again at this time at the latest — sooner
    /// when woken.
    case waiting(until: Date)
    /// Nothing to do: the item is finished (done, dead, dropped, …) or unknown.
    case finished
}
