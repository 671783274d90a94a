import Foundation

/// Where the conversation the assistant sees is kept.
public protocol ConversationStore: Sendable {
    /// The last `limit` turns of a conversation, oldest first.
    func history(of conversation: ConversationKey, limit: Int) async throws -> [ConversationTurn]
    /// The last `limit` turns of every conversation of these people (with any business
    /// account), merged: ordered by timestamp, turns with equal timestamps in the order they
    /// were appended. A person's memory across the channels linked to one Sandra profile.
    func sharedHistory(of people: [ChannelIdentity], limit: Int) async throws -> [ConversationTurn]
    /// The conversations with the most recent turns, newest first, at most `limit`, each with
    /// its last turn (the admin portal's list).
    func recentConversations(limit: Int) async throws -> [ConversationActivity]
    /// Appends turns to a conversation.
    func append(_ turns: [ConversationTurn], to conversation: ConversationKey) async throws
}

/// A conversation and its last turn.
public struct ConversationActivity: Sendable, Hashable {
    /// The conversation.
    public var conversation: ConversationKey
    /// Its last turn.
    public var lastTurn: ConversationTurn

    /// Creates an entry.
    public init(conversation: ConversationKey, lastTurn: ConversationTurn) {
        self.conversation = conversation
        self.lastTurn = lastTurn
    }
}

/// Everything the pipeline keeps: the inbox, the outbox, conversations, and the state every
/// host of the store shares (channel pauses).
public typealias PipelineStore = InboxStore & OutboxStore & ConversationStore & SharedStateStore
