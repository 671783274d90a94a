/// The `pipeline:` section of `channels.yaml`: how the host processes conversations.
///
/// | Key | Default | Meaning |
/// |-----|---------|---------|
/// | `max_concurrent_conversations` | `64` | `>= 1`; conversations answered at the same time. |
/// | `send_attempts` | `5` | `>= 1`; tries per outbound message before giving up. |
struct PipelineConfiguration: Sendable, Hashable {
    /// The default `max_concurrent_conversations`.
    static let defaultMaxConcurrentConversations = 64
    /// The default `send_attempts`.
    static let defaultSendAttempts = 5
    /// The keys of the section.
    static let keys = ["max_concurrent_conversations", "send_attempts"]

    /// Conversations answered at the same time (`max_concurrent_conversations`).
    var maxConcurrentConversations: Int
    /// Tries per outbound message before giving up (`send_attempts`).
    var sendAttempts: Int

    /// Creates the section; every value defaults to the documented default.
    /// - Parameters:
    ///   - maxConcurrentConversations: conversations answered at the same time.
    ///   - sendAttempts: tries per outbound message.
    init(
        maxConcurrentConversations: Int = defaultMaxConcurrentConversations,
        sendAttempts: Int = defaultSendAttempts
    ) {
        self.maxConcurrentConversations = maxConcurrentConversations
        self.sendAttempts = sendAttempts
    }
}
