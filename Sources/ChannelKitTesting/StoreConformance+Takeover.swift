import ChannelKit
import Foundation
import Testing

// MARK: - What the admin portal's conversations page reads: the recent conversations.

extension StoreConformance {
    static func recentConversations(_ store: any PipelineStore) async throws {
        #expect(try await store.recentConversations(limit: 10).isEmpty)
        let first = ConversationKey(channel: "instagram", accountID: "a", userID: "u1")
        let second = ConversationKey(channel: "whatsapp", accountID: "a", userID: "u2")
        try await store.append([ConversationTurn(role: .user, text: "hi", timestamp: t(1)),
                                ConversationTurn(role: .assistant, text: "hello", timestamp: t(2))], to: first)
        try await store.append([ConversationTurn(role: .user, text: "hey", timestamp: t(3))], to: second)
        try await store.append([ConversationTurn(role: .user, text: "again", timestamp: t(4))], to: first)
        let recent = try await store.recentConversations(limit: 10)
        #expect(recent.map(\.conversation) == [first, second], "the conversation spoken in last first")
        #expect(recent.map(\.lastTurn) == [ConversationTurn(role: .user, text: "again", timestamp: t(4)),
                                           ConversationTurn(role: .user, text: "hey", timestamp: t(3))])
        #expect(try await store.recentConversations(limit: 1).map(\.conversation) == [first])
        #expect(try await store.recentConversations(limit: 0).isEmpty)
    }
}
