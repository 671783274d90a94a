/// Where accepted events are recorded and deduplicated.
///
/// The pipeline accepts a webhook's events here before it answers 200, so the store decides
/// what is new: an event whose (channel, platform message id) was seen before is never
/// processed again.
public protocol InboxStore: Sendable {
    /// Records events, deduplicated by (channel, platform message id), atomically: of two
    /// concurrent deliveries of the same event exactly one sees it as new.
    /// - Returns: the events that were new, in the order given.
    func accept(_ events: [InboundEvent]) async throws -> [InboundEvent]

    /// Records how an accepted event ended.
    func complete(_ event: InboundEvent, outcome: InboxOutcome) async throws
}

/// How an accepted event ended.
public enum InboxOutcome: Sendable, Hashable {
    /// A reply was sent (all of its parts).
    case answered
    /// Recorded only; never answered (echoes, reads, reactions, …).
    case ignored
    /// No reply could be delivered; the reason is for operators and holds no message text.
    case failed(reason: String)
}

/// Where the conversation the assistant sees is kept.
public protocol ConversationStore: Sendable {
    /// The last `limit` turns of a conversation, oldest first.
    func history(of conversation: ConversationKey, limit: Int) async throws -> [ConversationTurn]
    /// Appends turns to a conversation.
    func append(_ turns: [ConversationTurn], to conversation: ConversationKey) async throws
}
