import CoreMetrics

/// `sandra_webhook_ack_seconds{channel}`: how long the host took to acknowledge a delivery it
/// accepted, from the request reaching the webhook route to its 200 being ready (the body read,
/// the signature verified, the events recorded). Made once per channel at start-up.
struct WebhookAcks: Sendable {
    /// The metric's `# HELP` text.
    static let help = [
        "sandra_webhook_ack_seconds": "Seconds from a webhook delivery reaching the route to its 200 being ready (body read, signature verified, events recorded), per channel; accepted deliveries only.",
    ]

    private let timers: [String: CoreMetrics.Timer]

    /// Makes the histograms of `channels` in `factory`.
    init(channels: [String], factory: any MetricsFactory) {
        var timers: [String: CoreMetrics.Timer] = [:]
        for channel in channels {
            timers[channel] = CoreMetrics.Timer(label: "sandra_webhook_ack_seconds", dimensions: [("channel", channel)], factory: factory)
        }
        self.timers = timers
    }

    /// A delivery to `channel` that arrived at `start` was accepted and its answer is ready now.
    func acknowledged(channel: String, since start: ContinuousClock.Instant) {
        timers[channel]?.recordSeconds(start.duration(to: .now) / .seconds(1))
    }
}
