/// Hooks the host uses to count what the pipeline does and to track channel health.
///
/// Every method has an empty default; calls are made inline, so implementations must be quick.
public protocol PipelineObserver: Sendable {
    /// A webhook's events were recorded: `accepted` new ones out of `received`.
    func eventsAccepted(channel: String, received: Int, accepted: Int)
    /// A reply was delivered, all its parts.
    func replyDelivered(channel: String, parts: Int)
    /// A reply could not be delivered.
    func replyFailed(channel: String, error: ChannelError)
    /// A send was retried after a transient failure.
    func sendRetried(channel: String, error: ChannelError)
    /// The assistant failed or timed out and the person got the apology.
    func assistantFailed(channel: String)
    /// The platform refused the channel's credentials.
    func channelUnauthorized(channel: String, error: ChannelError)
    /// The channel delivered successfully (clears an unauthorized state).
    func channelDelivered(channel: String)
}

extension PipelineObserver {
    public func eventsAccepted(channel: String, received: Int, accepted: Int) {}
    public func replyDelivered(channel: String, parts: Int) {}
    public func replyFailed(channel: String, error: ChannelError) {}
    public func sendRetried(channel: String, error: ChannelError) {}
    public func assistantFailed(channel: String) {}
    public func channelUnauthorized(channel: String, error: ChannelError) {}
    public func channelDelivered(channel: String) {}
}

/// An observer that does nothing.
public struct NoPipelineObserver: PipelineObserver {
    /// Creates the observer.
    public init() {}
}
