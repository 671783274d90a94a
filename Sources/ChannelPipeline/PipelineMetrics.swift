import ChannelKit
import CoreMetrics

/// The pipeline's counters, through swift-metrics, per channel:
///
/// | metric | dimensions |
/// |---|---|
/// | `sandra_webhook_events_total` | `channel`, `result` (`accepted`, `duplicate`, `standby`) |
/// | `sandra_replies_total` | `channel`, `result` (`delivered`, or the ``ChannelError/Code`` that failed it) |
/// | `sandra_reply_parts_sent_total` | `channel` |
/// | `sandra_send_retries_total` | `channel` |
/// | `sandra_assistant_failures_total` | `channel` |
/// | `sandra_reply_seconds` (histogram) | `channel` |
/// | `sandra_assistant_seconds` (histogram) | `channel` |
/// | `sandra_assistant_errors_total` | `channel`, `code` (``AssistantError/Code``) |
/// | `sandra_platform_request_seconds` (histogram) | `channel`, `operation` (`send`, `typing`, `media`) |
/// | `sandra_platform_errors_total` | `channel`, `code` (``ChannelError/Code``) |
///
/// Each one's `# HELP` text is in ``help``. The metrics are made once, for the channels named at start-up (bounded dimensions); events
/// of another channel are not counted.
///
/// ```swift
/// let metrics = PipelineMetrics(channels: ["instagram", "whatsapp"], factory: prometheusFactory)
/// let pipeline = Pipeline(channels: channels, store: store, …, metrics: metrics, …)
/// ```
public struct PipelineMetrics: Sendable {
    private struct Counters: Sendable {
        let accepted, duplicates, standby, delivered, partsSent, retries, assistantFailures: Counter
        let failed: [ChannelError.Code: Counter]

        init(channel: String, factory: any MetricsFactory) {
            func counter(_ label: String, _ extra: [(String, String)] = []) -> Counter {
                Counter(label: label, dimensions: [("channel", channel)] + extra, factory: factory)
            }
            accepted = counter("sandra_webhook_events_total", [("result", "accepted")])
            duplicates = counter("sandra_webhook_events_total", [("result", "duplicate")])
            standby = counter("sandra_webhook_events_total", [("result", "standby")])
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

    private let counters: [String: Counters]
    /// The histograms and call errors, per channel (``PipelineMetrics+Timings``).
    let timings: [String: PipelineTimings]

    /// Makes the metrics of `channels` in `factory`.
    public init(channels: [String], factory: any MetricsFactory) {
        var counters: [String: Counters] = [:]
        var timings: [String: PipelineTimings] = [:]
        for channel in channels {
            counters[channel] = Counters(channel: channel, factory: factory)
            timings[channel] = PipelineTimings(channel: channel, factory: factory)
        }
        self.counters = counters
        self.timings = timings
    }

    /// No counters.
    public static let none = PipelineMetrics(channels: [], factory: NOOPMetricsHandler.instance)

    func eventsAccepted(channel: String, received: Int, accepted: Int, standby: Int = 0) {
        counters[channel]?.accepted.increment(by: accepted)
        counters[channel]?.standby.increment(by: standby)
        counters[channel]?.duplicates.increment(by: received - accepted - standby)
    }

    func replyDelivered(channel: String, parts: Int) {
        counters[channel]?.delivered.increment()
        counters[channel]?.partsSent.increment(by: parts)
    }

    func replyFailed(channel: String, code: ChannelError.Code) {
        counters[channel]?.failed[code]?.increment()
    }

    func sendRetried(channel: String) {
        counters[channel]?.retries.increment()
    }

    func assistantFailed(channel: String) {
        counters[channel]?.assistantFailures.increment()
    }
}
