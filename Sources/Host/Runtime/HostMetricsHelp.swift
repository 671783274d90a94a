import ChannelPipeline

/// The `# HELP` text of every metric on `/metrics`, by name: the pipeline's
/// (``PipelineMetrics/help``) and the host's own. `DescribedMetricsFactory` reads it; a test
/// checks that every family `/metrics` lists has its text.
enum HostMetricsHelp {
    /// Every metric's text.
    static let all: [String: String] = PipelineMetrics.help
        .merging(WebhookRefusals.help) { first, _ in first }
        .merging(WebhookAcks.help) { first, _ in first }
        .merging(InboxGauges.help) { first, _ in first }
        .merging(MailMetrics.help) { first, _ in first }
}
