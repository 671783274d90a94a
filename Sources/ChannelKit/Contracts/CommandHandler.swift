import Logging

/// Answers some messages itself, before the assistant sees them: identity linking's
/// `/link`, codes, `/unlink` and `/whoami` are the first.
///
/// The pipeline asks its handlers in order; the first that replies wins and the assistant is
/// not asked. The reply goes the same way as the assistant's (rendered for the channel,
/// recorded in the outbox, sent with retries), but the exchange is not added to the
/// conversation history: commands carry addresses and codes the assistant has no use for.
public protocol CommandHandler: Sendable {
    /// Answers the message, or lets it pass.
    /// - Throws: a store's error; the pipeline tries the event again later.
    func handle(_ request: CommandRequest, logger: Logger) async throws -> CommandOutcome
}
