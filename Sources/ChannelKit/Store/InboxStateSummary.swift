import Foundation

/// The inbox items of one channel in one state: how many, and when the oldest was received.
///
/// What `sandra inbox stats` prints and the host's `sandra_inbox_items` and
/// `sandra_inbox_oldest_age_seconds` gauges show (``InboxStore/inboxSummary(states:)``).
public struct InboxStateSummary: Sendable, Hashable {
    /// The channel's configured name.
    public var channel: String
    /// The state.
    public var state: InboxState
    /// How many items of the channel are in the state.
    public var count: Int
    /// When the host received (accepted) the oldest of them.
    public var oldestReceivedAt: Date

    /// Creates a summary.
    public init(channel: String, state: InboxState, count: Int, oldestReceivedAt: Date) {
        self.channel = channel
        self.state = state
        self.count = count
        self.oldestReceivedAt = oldestReceivedAt
    }

    /// Seconds since the oldest item was received, at `now`; never negative.
    public func oldestAge(at now: Date) -> TimeInterval {
        max(0, now.timeIntervalSince(oldestReceivedAt))
    }
}
