import ChannelKit
import CoreMetrics

/// Webhooks the host refused, counted per channel and reason, so that an operator with the
/// wrong app secret (every delivery refused with 403) sees it on `/metrics`:
/// `sandra_webhooks_refused_total{channel, reason}` with `reason` one of `signature` (a `POST`
/// whose signature did not verify), `handshake` (a `GET` with the wrong verify token), `size`
/// (a body over the cap, 413), `malformed` (a signed body that is no webhook, 400) and `other`.
///
/// The counters are made once, for the channels named at start-up (bounded dimensions).
struct WebhookRefusals: Sendable {
    /// Why a webhook was refused.
    enum Reason: String, Sendable, CaseIterable {
        case signature, handshake, size, malformed, other
    }

    /// The metric's `# HELP` text.
    static let help = [
        "sandra_webhooks_refused_total": "Webhook requests refused, per channel and reason: signature (403), handshake (wrong verify token), size (413), malformed (400), other.",
    ]

    private let counters: [String: [Reason: Counter]]

    /// Makes the counters of `channels` in `factory`.
    init(channels: [String], factory: any MetricsFactory) {
        var counters: [String: [Reason: Counter]] = [:]
        for channel in channels {
            var byReason: [Reason: Counter] = [:]
            for reason in Reason.allCases {
                byReason[reason] = Counter(label: "sandra_webhooks_refused_total",
                                           dimensions: [("channel", channel), ("reason", reason.rawValue)], factory: factory)
            }
            counters[channel] = byReason
        }
        self.counters = counters
    }

    /// Counts one refusal of a request to `channel`'s webhook.
    func refused(channel: String, reason: Reason) {
        counters[channel]?[reason]?.increment()
    }

    /// The reason a channel's error stands for, on a request of `method`.
    static func reason(for error: ChannelError, method: HTTPRequest.Method) -> Reason {
        switch error.code {
        case .forbidden: method == .get ? .handshake : .signature
        case .payloadTooLarge: .size
        case .malformedPayload: .malformed
        default: .other
        }
    }
}
