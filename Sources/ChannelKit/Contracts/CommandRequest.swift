/// A message offered to the ``CommandHandler``s.
public struct CommandRequest: Sendable {
    /// The event as received.
    public var event: InboundEvent
    /// The message as the assistant would see it (text, attachments, button payload).
    public var message: UserMessage
    /// What the channel can display (quick replies, limits).
    public var channelProfile: ChannelProfile

    /// Creates a request.
    public init(event: InboundEvent, message: UserMessage, channelProfile: ChannelProfile) {
        self.event = event
        self.message = message
        self.channelProfile = channelProfile
    }

    /// The person, as identity linking knows them.
    public var identity: ChannelIdentity {
        ChannelIdentity(channel: event.channel, userID: event.senderID)
    }
}
