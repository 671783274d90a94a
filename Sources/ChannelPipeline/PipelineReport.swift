import ChannelKit

/// Where the pipeline reports what it did: its metrics, and the channel-health hook.
///
/// Calls are made inline, so both must be quick.
struct PipelineReport: Sendable {
    let metrics: PipelineMetrics
    let health: (any ChannelHealthObserver)?

    /// A webhook's events were recorded: `accepted` new ones and `standby` new standby copies out of `received`.
    func eventsAccepted(channel: String, received: Int, accepted: Int, standby: Int = 0) {
        metrics.eventsAccepted(channel: channel, received: received, accepted: accepted, standby: standby)
    }

    /// A reply was delivered, all its parts, `seconds` after its message was accepted.
    func replyDelivered(channel: String, parts: Int, seconds: Double) {
        metrics.replyDelivered(channel: channel, parts: parts)
        metrics.replyTook(channel: channel, seconds: seconds)
    }

    /// A reply could not be delivered.
    func replyFailed(channel: String, error: ChannelError) {
        metrics.replyFailed(channel: channel, code: error.code)
        health?.sendFailed(channel: channel, error: error)
    }

    /// A send was retried after a transient failure.
    func sendRetried(channel: String, error: ChannelError) {
        metrics.sendRetried(channel: channel)
        health?.sendFailed(channel: channel, error: error)
    }

    /// The assistant failed or timed out and the person got the apology.
    func assistantFailed(channel: String) {
        metrics.assistantFailed(channel: channel)
    }

    /// The platform refused the channel's credentials.
    func channelUnauthorized(channel: String, error: ChannelError) {
        health?.credentialsRefused(channel: channel, error: error)
    }

    /// The channel delivered successfully (clears an unauthorized state).
    func channelDelivered(channel: String) {
        health?.delivered(channel: channel)
    }
}
