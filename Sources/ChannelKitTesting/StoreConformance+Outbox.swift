import ChannelKit
import Foundation
import Testing

// Scenarios: the outbox and the conversation history.
extension StoreConformance {
    // MARK: - Outbox

    static let conversation = ConversationKey(channel: "test", accountID: "acct", userID: "u1")

    static func recordReply(_ store: any PipelineStore) async throws {
        let item = try await processing(store, text("o1"))
        let messages = [
            OutboundMessage(text: "first part"),
            OutboundMessage(text: "second part ✨", quickReplies: [QuickReply(title: "Yes", payload: "YES"),
                                                                  QuickReply(title: "No", payload: "NO")]),
        ]
        let turns = [ConversationTurn(role: .user, text: "question", timestamp: t(0)),
                     ConversationTurn(role: .assistant, text: "**answer**", timestamp: t(3))]
        let parts = try await store.recordReply(for: item.id, parts: messages, conversation: conversation, turns: turns, at: t(3))
        #expect(parts.map(\.id) == ["\(item.id).0", "\(item.id).1"])
        #expect(parts.map(\.index) == [0, 1])
        #expect(parts.map(\.message) == messages)
        #expect(parts.allSatisfy { $0.inboxID == item.id && $0.state == .pending && $0.platformMessageID == nil && $0.lastError == nil })
        #expect(try await store.parts(for: item.id) == parts, "parts(for:) returns the recorded parts in order")
        #expect(try await store.history(of: conversation, limit: 10) == turns, "the reply's turns are appended")
        #expect(try await store.parts(for: 9_999_999).isEmpty)

        // Many parts keep their order (10 sorts before 2 as text).
        let other = try await processing(store, text("o2"))
        let many = (0..<12).map { OutboundMessage(text: "part \($0)") }
        let manyParts = try await store.recordReply(for: other.id, parts: many, conversation: conversation, turns: [], at: t(4))
        #expect(manyParts.map(\.index) == Array(0..<12))
        #expect(try await store.parts(for: other.id).map(\.message) == many)

        // Only the item's worker records a reply: not for an item received (never claimed) or
        // finished meanwhile (an erasure, a drop); nothing is kept.
        let unclaimed = try await accepted(store, text("o3"))
        let dropped = try await processing(store, text("o4"))
        #expect(try await store.drop(dropped.id, at: t(5)))
        for id in [unclaimed.id, dropped.id] {
            await expectStoreError(.invalidTransition, "a reply to an item not processing") {
                _ = try await store.recordReply(for: id, parts: [OutboundMessage(text: "late")], conversation: conversation,
                                                turns: [ConversationTurn(role: .assistant, text: "late", timestamp: t(6))], at: t(6))
            }
            #expect(try await store.parts(for: id).isEmpty)
        }
        #expect(try await store.history(of: conversation, limit: 10) == turns, "no turn of a refused reply is kept")
    }

    static func recordReplyIdempotency(_ store: any PipelineStore) async throws {
        let item = try await processing(store, text("i1"))
        let turns = [ConversationTurn(role: .user, text: "hi", timestamp: t(0)),
                     ConversationTurn(role: .assistant, text: "hello", timestamp: t(2))]
        let first = try await store.recordReply(for: item.id, parts: [OutboundMessage(text: "hello")],
                                                conversation: conversation, turns: turns, at: t(2))
        try await store.markSent(first[0].id, platformMessageID: "mid.1", at: t(3))
        let second = try await store.recordReply(for: item.id, parts: [OutboundMessage(text: "other"), OutboundMessage(text: "more")],
                                                 conversation: conversation,
                                                 turns: [ConversationTurn(role: .assistant, text: "other", timestamp: t(4))], at: t(4))
        #expect(second.count == 1 && second.first?.message.text == "hello", "the existing parts are returned")
        #expect(second.first?.state == .sent && second.first?.platformMessageID == "mid.1", "as they stand now")
        #expect(try await store.parts(for: item.id) == second, "nothing was re-recorded")
        #expect(try await store.history(of: conversation, limit: 10) == turns, "turns are not appended twice")

        // Concurrent recordings of one reply: one set of parts, one set of turns.
        let racing = try await processing(store, text("i2"))
        let key = ConversationKey(channel: "test", accountID: "acct", userID: "racer")
        let results = try await withThrowingTaskGroup(of: [OutboxPart].self) { group in
            for i in 0..<10 {
                group.addTask {
                    try await store.recordReply(for: racing.id, parts: [OutboundMessage(text: "reply \(i)")], conversation: key,
                                                turns: [ConversationTurn(role: .assistant, text: "reply \(i)", timestamp: t(5))],
                                                at: t(5))
                }
            }
            return try await group.reduce(into: [[OutboxPart]]()) { $0.append($1) }
        }
        #expect(Set(results).count == 1, "every concurrent caller gets the same parts")
        #expect(try await store.history(of: key, limit: 100).count == 1, "only one caller's turns are appended")
    }

    static func recordReplyAtomicity(_ store: any PipelineStore) async throws {
        let key = ConversationKey(channel: "test", accountID: "acct", userID: "nobody")
        await expectStoreError(.invalidTransition, "recording a reply to an unknown inbox item") {
            _ = try await store.recordReply(for: 9_999_999, parts: [OutboundMessage(text: "x")], conversation: key,
                                            turns: [ConversationTurn(role: .assistant, text: "x", timestamp: t(1))], at: t(1))
        }
        #expect(try await store.parts(for: 9_999_999).isEmpty, "no part of a refused reply is recorded")
        #expect(try await store.history(of: key, limit: 10).isEmpty, "no turn of a refused reply is recorded")
    }

    static func markSentAndFailed(_ store: any PipelineStore) async throws {
        let item = try await processing(store, text("s1"))
        let parts = try await store.recordReply(for: item.id, parts: [OutboundMessage(text: "a"), OutboundMessage(text: "b"),
                                                                      OutboundMessage(text: "c")],
                                                conversation: conversation, turns: [], at: t(2))
        try await store.markSent(parts[0].id, platformMessageID: "mid.a", at: t(3))
        try await store.markSent(parts[1].id, platformMessageID: nil, at: t(3))
        try await store.markFailed(parts[2].id, reason: "permanent: 551", at: t(4))
        let now = try await store.parts(for: item.id)
        #expect(now.map(\.state) == [.sent, .sent, .failed])
        #expect(now.map(\.platformMessageID) == ["mid.a", nil, nil])
        #expect(now.map(\.lastError) == [nil, nil, "permanent: 551"])
        #expect(now.map(\.message.text) == ["a", "b", "c"])

        await expectStoreError(.invalidTransition, "marking a sent part sent") {
            try await store.markSent(parts[0].id, platformMessageID: "again", at: t(5))
        }
        await expectStoreError(.invalidTransition, "marking a sent part failed") {
            try await store.markFailed(parts[1].id, reason: "x", at: t(5))
        }
        await expectStoreError(.invalidTransition, "marking a failed part sent") {
            try await store.markSent(parts[2].id, platformMessageID: "x", at: t(5))
        }
        await expectStoreError(.invalidTransition, "marking an unknown part sent") {
            try await store.markSent("\(item.id).9", platformMessageID: "x", at: t(5))
        }
        await expectStoreError(.invalidTransition, "marking a malformed part id failed") {
            try await store.markFailed("not-a-part", reason: "x", at: t(5))
        }
        #expect(try await store.parts(for: item.id) == now, "refused transitions change nothing")
    }

    // MARK: - Conversation history

    static func historyOrderAndLimits(_ store: any PipelineStore) async throws {
        let a = ConversationKey(channel: "test", accountID: "acct", userID: "a")
        let b = ConversationKey(channel: "test", accountID: "acct", userID: "b")
        let other = ConversationKey(channel: "other", accountID: "acct", userID: "a")
        #expect(try await store.history(of: a, limit: 10).isEmpty)

        let turns = (0..<5).map { ConversationTurn(role: $0.isMultiple(of: 2) ? .user : .assistant, text: "turn \($0)", timestamp: t(Int64($0))) }
        try await store.append(Array(turns.prefix(2)), to: a)
        try await store.append(Array(turns.suffix(3)), to: a)
        try await store.append([ConversationTurn(role: .user, text: "b's", timestamp: t(1))], to: b)
        try await store.append([], to: b)
        #expect(try await store.history(of: a, limit: 10) == turns, "oldest first")
        #expect(try await store.history(of: a, limit: 3) == Array(turns.suffix(3)), "the last `limit` turns")
        #expect(try await store.history(of: a, limit: 0).isEmpty)
        #expect(try await store.history(of: b, limit: 10).map(\.text) == ["b's"], "conversations are separate")
        #expect(try await store.history(of: other, limit: 10).isEmpty, "the channel is part of the conversation")

        // Append order wins over timestamps; at most 200 turns are kept per conversation.
        let long = ConversationKey(channel: "test", accountID: "acct", userID: "long")
        for chunk in 0..<5 {
            try await store.append((0..<50).map { i in
                ConversationTurn(role: .user, text: "long \(chunk * 50 + i)", timestamp: t(Int64(1000 - chunk * 50 - i)))
            }, to: long)
        }
        let kept = try await store.history(of: long, limit: 1000)
        #expect(kept.count == 200, "history keeps the last 200 turns of a conversation")
        #expect(kept.first?.text == "long 50" && kept.last?.text == "long 249")
        #expect(try await store.history(of: a, limit: 10).count == 5, "trimming one conversation leaves the others")
    }

    static func sharedHistory(_ store: any PipelineStore) async throws {
        let instagram = ConversationKey(channel: "instagram", accountID: "ig-acct", userID: "ig-alice")
        let instagramOtherAccount = ConversationKey(channel: "instagram", accountID: "ig-acct-2", userID: "ig-alice")
        let whatsapp = ConversationKey(channel: "whatsapp", accountID: "wa-acct", userID: "wa-alice")
        let stranger = ConversationKey(channel: "instagram", accountID: "ig-acct", userID: "ig-bob")
        let alice = [ChannelIdentity(channel: "instagram", userID: "ig-alice"), ChannelIdentity(channel: "whatsapp", userID: "wa-alice")]
        func turn(_ text: String, _ seconds: Int64, _ role: ConversationTurn.Role = .user) -> ConversationTurn {
            ConversationTurn(role: role, text: text, timestamp: t(seconds))
        }
        #expect(try await store.sharedHistory(of: alice, limit: 10).isEmpty)
        try await store.append([turn("ig 1", 1), turn("ig 2", 2, .assistant)], to: instagram)
        try await store.append([turn("wa 1", 3), turn("wa 2", 4, .assistant)], to: whatsapp)
        try await store.append([turn("ig 3", 5), turn("ig 4", 6, .assistant)], to: instagram)
        try await store.append([turn("other account", 7)], to: instagramOtherAccount)
        try await store.append([turn("bob", 4)], to: stranger)

        #expect(try await store.sharedHistory(of: alice, limit: 10).map(\.text) == ["ig 1", "ig 2", "wa 1", "wa 2", "ig 3", "ig 4", "other account"],
                "every conversation of the people, with any account, merged by time; nobody else's")
        #expect(try await store.sharedHistory(of: alice, limit: 3).map(\.text) == ["ig 3", "ig 4", "other account"], "the last `limit`")
        #expect(try await store.sharedHistory(of: alice, limit: 0).isEmpty)
        #expect(try await store.sharedHistory(of: [], limit: 10).isEmpty)
        #expect(try await store.sharedHistory(of: [alice[1]], limit: 10).map(\.text) == ["wa 1", "wa 2"])
        #expect(try await store.sharedHistory(of: alice, limit: 10).first == turn("ig 1", 1), "turns round-trip")

        // Equal timestamps keep the order of appends.
        let tie = ConversationKey(channel: "whatsapp", accountID: "wa-acct", userID: "wa-tie")
        let tieOther = ConversationKey(channel: "instagram", accountID: "ig-acct", userID: "ig-tie")
        try await store.append([turn("first", 50)], to: tie)
        try await store.append([turn("second", 50)], to: tieOther)
        try await store.append([turn("third", 50)], to: tie)
        let tied = [ChannelIdentity(channel: "whatsapp", userID: "wa-tie"), ChannelIdentity(channel: "instagram", userID: "ig-tie")]
        #expect(try await store.sharedHistory(of: tied, limit: 10).map(\.text) == ["first", "second", "third"])
    }
}
