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
