import ChannelKit
import CoreMetrics
import Logging

/// Counts what the pipeline does (Prometheus at `/metrics`) and feeds channel health.
///
/// Metric objects are made once per channel at start-up, with bounded dimensions.
struct HostObserver: PipelineObserver {
    private struct Counters: Sendable {
        let accepted, duplicates, delivered, partsSent, retries, assistantFailures: Counter
        let failed: [ChannelError.Code: Counter]

        init(channel: String, factory: any MetricsFactory) {
            func counter(_ label: String, _ extra: [(String, String)] = []) -> Counter {
                Counter(label: label, dimensions: [("channel", channel)] + extra, factory: factory)
            }
            accepted = counter("sandra_webhook_events_total", [("result", "accepted")])
            duplicates = counter("sandra_webhook_events_total", [("result", "duplicate")])
            delivered = counter("sandra_replies_total", [("result", "delivered")])
            partsSent = counter("sandra_reply_parts_sent_total")
            retries = counter("sandra_send_retries_total")
            assistantFailures = counter("sandra_assistant_failures_total")
            var failed: [ChannelError.Code: Counter] = [:]
            for code in ChannelError.Code.allCases {
                failed[code] = counter("sandra_replies_total", [("result", code.rawValue)])
            }
            self.failed = failed
        }
    }

    private let status: ChannelStatusBoard
    private let counters: [String: Counters]

    init(channels: [String], status: ChannelStatusBoard, factory: any MetricsFactory) {
        self.status = status
        var counters: [String: Counters] = [:]
        for channel in channels { counters[channel] = Counters(channel: channel, factory: factory) }
        self.counters = counters
    }

    func eventsAccepted(channel: String, received: Int, accepted: Int) {
        counters[channel]?.accepted.increment(by: accepted)
        counters[channel]?.duplicates.increment(by: received - accepted)
    }

    func replyDelivered(channel: String, parts: Int) {
        counters[channel]?.delivered.increment()
        counters[channel]?.partsSent.increment(by: parts)
    }

    func replyFailed(channel: String, error: ChannelError) {
        counters[channel]?.failed[error.code]?.increment()
        status.markSendFailed(channel: channel, error: Self.describe(error))
    }

    func sendRetried(channel: String, error: ChannelError) {
        counters[channel]?.retries.increment()
        status.markSendFailed(channel: channel, error: Self.describe(error))
    }

    /// A send error for `/readyz`: its code, the platform's code and its message.
    static func describe(_ error: ChannelError) -> String {
        var text = "\(error.code)"
        if let code = error.platformCode { text += " (platform code \(code))" }
        return text + ": " + error.message
    }

    func assistantFailed(channel: String) {
        counters[channel]?.assistantFailures.increment()
    }

    func channelUnauthorized(channel: String, error: ChannelError) {
        let code = error.platformCode.map { "code \($0)" } ?? "no code"
        status.markUnauthorized(channel: channel, detail: "the platform refused the access token (\(code)); replace it and restart")
    }

    func channelDelivered(channel: String) {
        status.markDelivered(channel: channel)
    }
}
