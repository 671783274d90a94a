import CoreMetrics

/// `sandra_emails_total{result}`: emails the mailer sent (`sent`) or could not send
/// (`failed`, each failed attempt). Made once at start-up.
struct MailMetrics: Sendable {
    /// The metric's `# HELP` text.
    static let help = [
        "sandra_emails_total": "Emails (identity-linking codes) by result: sent, or failed (each failed attempt; the mailer tries again later).",
    ]

    private let sent: Counter
    private let failed: Counter

    /// Makes the counters in `factory`.
    init(factory: any MetricsFactory) {
        sent = Counter(label: "sandra_emails_total", dimensions: [("result", "sent")], factory: factory)
        failed = Counter(label: "sandra_emails_total", dimensions: [("result", "failed")], factory: factory)
    }

    /// No counters.
    static let none = MailMetrics(factory: NOOPMetricsHandler.instance)

    /// Counts one email sent.
    func emailSent() { sent.increment() }

    /// Counts one email that could not be sent.
    func emailFailed() { failed.increment() }
}
