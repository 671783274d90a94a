import ChannelKit
import Foundation
import PostgresNIO
import StoreSupport

// MARK: - The inbox per channel and state: counts and the oldest item's age (`sandra inbox stats`, the gauges).

extension PostgreSQLStore {
    public func inboxSummary(states: Set<InboxState>) async throws -> [InboxStateSummary] {
        let names = states.map(\.rawValue).sorted()
        guard !names.isEmpty else { return [] }
        return try await session("summarizing the inbox per channel and state") { session in
            try await session.rows("""
                SELECT channel, state, count(*), min(received_at) FROM inbox
                WHERE state = ANY(\(names)) GROUP BY channel, state ORDER BY channel, state
                """) { row in
                let (channel, state, count, oldest) = try row.decode((String, String, Int64, Int64).self)
                return InboxStateSummary(channel: channel,
                                         state: try StoredValues.named(InboxState.self, state, what: "inbox state"),
                                         count: Int(count), oldestReceivedAt: Rows.date(oldest))
            }
        }
    }
}
