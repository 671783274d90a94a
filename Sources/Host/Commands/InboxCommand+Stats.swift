import ArgumentParser
import ChannelKit
import Foundation

extension InboxCommand {
    /// `sandra inbox stats`: per channel and state, how many items and how long ago the oldest
    /// was received — the store query behind the `sandra_inbox_*` gauges, over every state.
    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count items per channel and state, with the age of the oldest in each.")
        @OptionGroup var options: ConfigOptions
        @Flag(help: "Print JSON: one object per channel and state.") var json = false

        func run() async throws {
            let now = Date()
            let summaries = try await InboxCommand.withStore(options) { try await $0.inboxSummary(states: Set(InboxState.allCases)) }
            let order = Dictionary(uniqueKeysWithValues: InboxState.allCases.enumerated().map { ($1, $0) })
            let sorted = summaries.sorted { ($0.channel, order[$0.state] ?? 0) < ($1.channel, order[$1.state] ?? 0) }
            if json {
                print(try Self.json(sorted, at: now))
            } else {
                print(Self.table(sorted, at: now))
            }
        }

        /// The readable table: channel, state, count, the oldest item's age and its received time.
        static func table(_ summaries: [InboxStateSummary], at now: Date) -> String {
            guard !summaries.isEmpty else { return "no items" }
            let formatter = ISO8601DateFormatter()
            let rows = [["CHANNEL", "STATE", "COUNT", "OLDEST", "OLDEST RECEIVED"]] + summaries.map {
                [$0.channel, $0.state.rawValue, "\($0.count)", age($0.oldestAge(at: now)), formatter.string(from: $0.oldestReceivedAt)]
            }
            let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
            return rows.map { row in
                row.enumerated().map { column, cell in
                    column == row.count - 1 ? cell : cell.padding(toLength: widths[column] + 2, withPad: " ", startingAt: 0)
                }.joined()
            }.joined(separator: "\n")
        }

        /// `--json`: `[{"channel", "state", "count", "oldest_received_at", "oldest_age_seconds"}]`.
        static func json(_ summaries: [InboxStateSummary], at now: Date) throws -> String {
            let formatter = ISO8601DateFormatter()
            let objects: [[String: Any]] = summaries.map {
                ["channel": $0.channel, "state": $0.state.rawValue, "count": $0.count,
                 "oldest_received_at": formatter.string(from: $0.oldestReceivedAt),
                 "oldest_age_seconds": Int($0.oldestAge(at: now).rounded(.down))]
            }
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .prettyPrinted])
            return String(decoding: data, as: UTF8.self)
        }

        /// An age in its two largest units: `42s`, `3m 12s`, `2h 5m`, `3d 4h`.
        static func age(_ seconds: TimeInterval) -> String {
            let total = Int(max(0, seconds).rounded(.down))
            let (days, hours, minutes, rest) = (total / 86_400, total / 3600 % 24, total / 60 % 60, total % 60)
            if days > 0 { return "\(days)d \(hours)h" }
            if hours > 0 { return "\(hours)h \(minutes)m" }
            if minutes > 0 { return "\(minutes)m \(rest)s" }
            return "\(rest)s"
        }
    }
}
