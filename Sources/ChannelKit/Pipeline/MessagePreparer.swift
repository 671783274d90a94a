import Logging

/// A step the pipeline runs before the assistant, inside the conversation's ordered lane: it
/// may enrich the person's message (media fetched into memory, voice transcribed, images
/// attached) or answer it directly (a friendly word when nothing usable is left).
///
/// The sender's next message waits until the preparation and the reply are done.
public protocol MessagePreparer: Sendable {
    /// Prepares one message.
    /// - Parameters:
    ///   - message: the message as the channel delivered it.
    ///   - event: the event it came in.
    ///   - channel: the channel, for its profile and its media sources.
    /// - Returns: the message to answer, or a direct answer.
    func prepare(_ message: UserMessage, of event: InboundEvent, channel: any Channel, logger: Logger) async -> MessagePreparation
}

/// What a ``MessagePreparer`` made of a message.
public struct MessagePreparation: Sendable {
    /// The message as the assistant (and the conversation history) sees it.
    public var message: UserMessage
    /// An answer sent instead of asking the assistant, when the message has nothing left to
    /// answer (a voice message that could not be transcribed, an image that could not be opened).
    public var directReply: AssistantReply?
    /// Markdown put before the assistant's answer: what went wrong with part of the message.
    public var notice: String?

    /// Creates a preparation.
    public init(message: UserMessage, directReply: AssistantReply? = nil, notice: String? = nil) {
        self.message = message
        self.directReply = directReply
        self.notice = notice
    }
}
