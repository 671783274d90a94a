import ChannelKit
import CoreMetrics
import Foundation

/// The inbox on `/metrics`, per channel and state, from the store's numbers:
/// `sandra_inbox_items` (how many items) for ``countedStates`` and
/// `sandra_inbox_oldest_age_seconds` (since the oldest was received; 0 with none) for
/// ``agedStates``. Made once per configured channel at start-up; ``InboxGaugeService`` sets
/// them from one aggregate query every few seconds. With several hosts on one PostgreSQL
/// database every host shows the same numbers.
struct InboxGauges: Sendable {
    /// The states counted: those that wait for the host (`received`, `processing`, `failed`) or
    /// for an operator (`dead`, `expired`). `done`, `ignored` and `dropped` only accumulate until
    /// the retention sweep: `sandra_webhook_events_total` and `sandra_replies_total` count them.
    static let countedStates: [InboxState] = [.received, .processing, .failed, .dead, .expired]
    /// The states whose oldest item's age is shown: the non-terminal ones.
    static let agedStates: [InboxState] = InboxState.allCases.filter { !$0.isTerminal }

    /// The metrics' `# HELP` text.
    static let help = [
        "sandra_inbox_items": "Inbox items per channel and state (received, processing, failed, dead, expired), refreshed every 5 s from the store; with several hosts on one PostgreSQL these are the store's numbers, the same on every host.",
        "sandra_inbox_oldest_age_seconds": "Seconds since the oldest inbox item in each non-terminal state (received, processing, failed) was received, 0 with none, per channel; refreshed every 5 s from the store; with several hosts on one PostgreSQL, the same on every host.",
    ]

    private struct Key: Hashable {
        var channel: String
        var state: InboxState
    }

    private let items: [Key: Gauge]
    private let ages: [Key: Gauge]

    /// Makes the gauges of `channels` in `factory`.
    init(channels: [String], factory: any MetricsFactory) {
        var items: [Key: Gauge] = [:]
        var ages: [Key: Gauge] = [:]
        for channel in channels {
            for state in Self.countedStates {
                items[Key(channel: channel, state: state)] = Gauge(
                    label: "sandra_inbox_items", dimensions: [("channel", channel), ("state", state.rawValue)], factory: factory)
            }
            for state in Self.agedStates {
                ages[Key(channel: channel, state: state)] = Gauge(
                    label: "sandra_inbox_oldest_age_seconds", dimensions: [("channel", channel), ("state", state.rawValue)], factory: factory)
            }
        }
        self.items = items
        self.ages = ages
    }

    /// The states the query asks for.
    static var queriedStates: Set<InboxState> { Set(countedStates + agedStates) }

    /// Sets every gauge from `summaries` at `now`: a channel and state absent from them shows 0;
    /// channels not configured here are left out.
    func update(from summaries: [InboxStateSummary], at now: Date) {
        var counts: [Key: Int] = [:]
        var oldest: [Key: TimeInterval] = [:]
        for summary in summaries {
            let key = Key(channel: summary.channel, state: summary.state)
            counts[key] = summary.count
            oldest[key] = summary.oldestAge(at: now)
        }
        for (key, gauge) in items { gauge.record(Double(counts[key] ?? 0)) }
        for (key, gauge) in ages { gauge.record(oldest[key] ?? 0) }
    }
}
