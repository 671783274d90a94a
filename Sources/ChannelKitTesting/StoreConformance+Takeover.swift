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

extension StoreConformance {
    static func claimReadsConversationControl(_ store: any PipelineStore) async throws {
        // Ids with the key's separator and escape in them: the store's SQL must build the same key.
        let odd = text("ctl-1", from: "user|50%", at: 1, account: "acct|%7C")
        let plain = text("ctl-2", from: "u-plain", at: 1)
        let items = try await store.accept([odd, plain], at: t(1))
        try await store.updateConversationControl(of: odd.conversation, at: t(1)) { _ in
            ConversationControl(pausedUntil: t(60), reason: .humanReply, updatedAt: t(1))
        }
        for item in items {
            guard case .claimed(let claimed) = try await store.claimHead(item.id, owner: "host", leaseUntil: t(30), at: t(2)) else {
                Issue.record("store conformance: \(item.event.platformMessageID) was not claimed")
                continue
            }
            if item.event == odd {
                guard case .control(let control) = claimed.controlReading else {
                    Issue.record("store conformance: the claim did not read the paused conversation's state: \(claimed.controlReading)")
                    continue
                }
                #expect(control.pausedUntil == t(60) && control.reason == .humanReply)
            } else {
                #expect(claimed.controlReading == .none, "a conversation with no state reads as none")
            }
        }
        // Gone at its end: the next claim reads none.
        let later = try #require(try await store.accept([text("ctl-3", from: "user|50%", at: 2, account: "acct|%7C")], at: t(3)).first)
        try await store.complete(items[0].id, at: t(3))
        guard case .claimed(let claimed) = try await store.claimHead(later.id, owner: "host", leaseUntil: t(120), at: t(61)) else {
            Issue.record("store conformance: the later message was not claimed")
            return
        }
        #expect(claimed.controlReading == .none, "a pause that ended reads as none")
    }
}
