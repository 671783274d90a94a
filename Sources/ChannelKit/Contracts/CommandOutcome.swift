/// What a ``CommandHandler`` did with a message.
public enum CommandOutcome: Sendable, Hashable {
    /// Not a command for this handler: the next handler, then the assistant, answers.
    case pass
    /// The handler's answer, in Markdown with optional quick replies; the assistant is not asked.
    case reply(AssistantReply)
}
