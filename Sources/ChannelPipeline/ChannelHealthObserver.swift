import ChannelKit

/// Told how each channel's sends fare, for the host's view of channel health (`/readyz`, the
/// admin portal). Counting is not its job: the pipeline counts through swift-metrics
/// (``PipelineMetrics``).
///
/// Calls are made inline, so implementations must be quick.
public protocol ChannelHealthObserver: Sendable {
    /// A send failed: retried after a transient failure, or the reply was given up.
    func sendFailed(channel: String, error: ChannelError)
    /// The platform refused the channel's credentials.
    func credentialsRefused(channel: String, error: ChannelError)
    /// The channel delivered successfully (clears a refused-credentials state).
    func delivered(channel: String)
}
