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
