import Logging

/// A channel whose platform routes each conversation to one of several apps (Meta's
/// Conversation Routing), and lets this host ask for a conversation another app owns.
///
/// The change itself arrives as a webhook (``ThreadControl``, `pass`), on whichever host.
public protocol ThreadControlRequesting: Channel {
    /// Asks for control of the conversation with `recipient`: takes it where this app may
    /// (the platform's primary app), else asks the app that owns it to pass it.
    /// - Parameter metadata: a note for the other app (never shown to the person).
    /// - Returns: whether control was taken, or only requested.
    /// - Throws: ``ChannelError`` when the platform refuses both.
    func requestThreadControl(of recipient: Recipient, metadata: String, logger: Logger) async throws -> ThreadControlOutcome
}

/// What asking for a conversation's thread came to.
public enum ThreadControlOutcome: String, Sendable, Hashable {
    /// This app owns the thread now.
    case taken
    /// The app that owns it was asked to pass it; its answer arrives as a webhook.
    case requested
}
