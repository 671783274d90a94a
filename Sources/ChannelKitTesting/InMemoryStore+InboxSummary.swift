import ChannelKit
import Foundation

// MARK: - The inbox per channel and state (see ``InboxStore/inboxSummary(states:)``).

extension InMemoryStore {
    public func inboxSummary(states: Set<InboxState>) -> [InboxStateSummary] {
        var summaries: [String: InboxStateSummary] = [:]
        for item in items.values where states.contains(item.state) {
            let key = "\(item.event.channel)\u{0}\(item.state.rawValue)"
            if var summary = summaries[key] {
                summary.count += 1
                summary.oldestReceivedAt = min(summary.oldestReceivedAt, item.receivedAt)
                summaries[key] = summary
            } else {
                summaries[key] = InboxStateSummary(channel: item.event.channel, state: item.state, count: 1,
                                                   oldestReceivedAt: item.receivedAt)
            }
        }
        return summaries.values.sorted { ($0.channel, $0.state.rawValue) < ($1.channel, $1.state.rawValue) }
    }
}
