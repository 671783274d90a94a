import ChannelKit
import ChannelPipeline

/// Feeds channel health (`/readyz`, the admin portal) from what the pipeline reports about
/// sends. The pipeline's counters go to Prometheus through swift-metrics (``PipelineMetrics``).
struct HostObserver: ChannelHealthObserver {
    let status: ChannelStatusBoard

    func sendFailed(channel: String, error: ChannelError) {
        status.markSendFailed(channel: channel, error: Self.describe(error))
    }

    /// A send error for `/readyz`: its code, the platform's code and its message.
    static func describe(_ error: ChannelError) -> String {
        var text = "\(error.code)"
        if let code = error.platformCode { text += " (platform code \(code))" }
        return text + ": " + error.message
    }

    func credentialsRefused(channel: String, error: ChannelError) {
        let code = error.platformCode.map { "code \($0)" } ?? "no code"
        status.markUnauthorized(channel: channel, detail: "the platform refused the access token (\(code)); replace it and restart")
    }

    func delivered(channel: String) {
        status.markDelivered(channel: channel)
    }
}
