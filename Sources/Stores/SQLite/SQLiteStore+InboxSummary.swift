import ChannelKit
import Foundation
import StoreSupport

// MARK: - The inbox per channel and state: counts and the oldest item's age (`sandra inbox stats`, the gauges).

extension SQLiteStore {
    public func inboxSummary(states: Set<InboxState>) async throws -> [InboxStateSummary] {
        let names = states.map(\.rawValue).sorted()
        guard !names.isEmpty else { return [] }
        let placeholders = names.indices.map { "?\($0 + 1)" }.joined(separator: ", ")
        return try read("summarizing the inbox per channel and state") { database in
            try database.rows("""
                SELECT channel, state, COUNT(*), MIN(received_at) FROM inbox
                WHERE state IN (\(placeholders)) GROUP BY channel, state ORDER BY channel, state
                """, names.map { Row.bind($0) }) { row in
                InboxStateSummary(channel: try row.text(0),
                                  state: try StoredValues.named(InboxState.self, try row.text(1), what: "inbox state"),
                                  count: Int(try row.integer(2)),
                                  oldestReceivedAt: Row.date(milliseconds: try row.integer(3)))
            }
        }
    }
}
