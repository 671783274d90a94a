import ChannelKit
import Foundation
import Testing

// MARK: - Privacy: erasure on request and the retention sweep.

extension StoreConformance {
    /// The store under test as a ``PrivacyStore`` and ``IdentityStore``, or an issue recorded.
    static func privacyStore(_ store: any PipelineStore) -> (any PipelineStore & PrivacyStore & IdentityStore)? {
        guard let privacy = store as? any PipelineStore & PrivacyStore & IdentityStore else {
            Issue.record("store conformance: \(type(of: store)) is not a PrivacyStore and IdentityStore")
            return nil
        }
        return privacy
    }

    /// Erasing (channel, user) leaves its items as keys only (dropped when unanswered), their
    /// reply parts without text, no turns and no identity records; other people and other
    /// channels keep theirs; the erasure is recorded with its counts; a redelivery still
    /// creates nothing.
    static func erase(_ store: any PipelineStore) async throws {
        guard let store = privacyStore(store) else { return }
        let photo = Attachment(kind: .image, platformType: "image", url: "https://cdn.example/p.jpg?sig=1", title: "caption")
        let answered = try await processing(store, EventFactory.media([photo], text: "my secret", from: "u1", id: "e1",
                                                                      at: baseMilliseconds))
        let conversation = ConversationKey(channel: "test", accountID: "acct", userID: "u1")
        let parts = try await store.recordReply(
            for: answered.id, parts: [OutboundMessage(text: "the answer", quickReplies: [QuickReply(title: "Yes", payload: "Y")])],
            conversation: conversation,
            turns: [ConversationTurn(role: .user, text: "my secret", timestamp: t(0)),
                    ConversationTurn(role: .assistant, text: "the answer", timestamp: t(1))], at: t(1))
        try await store.markSentAndComplete(parts[0].id, platformMessageID: "m1", inboxID: answered.id, at: t(2))
        let waiting = try await accepted(store, text("e2", from: "u1", at: 3), at: t(3))
        let otherPerson = try await accepted(store, text("e3", from: "u2", at: 3), at: t(3))
        let otherChannel = try await accepted(store, text("e4", from: "u1", at: 3, channel: "other"), at: t(3))
        try await store.append([ConversationTurn(role: .user, text: "kept", timestamp: t(3))],
                               to: ConversationKey(channel: "other", accountID: "acct", userID: "u1"))
        let identity = ChannelIdentity(channel: "test", userID: "u1")
        let profile = try await store.link(identity, toVerifiedEmail: "erase-me@example.com", at: t(4))
        let sharedProfile = try await store.link(ChannelIdentity(channel: "test", userID: "u3"), toVerifiedEmail: "shared@example.com", at: t(4))
        _ = try await store.link(ChannelIdentity(channel: "test", userID: "u4"), toVerifiedEmail: "shared@example.com", at: t(4))

        let asked = ErasureRecord(confirmationCode: "code-1", source: "data_deletion", channels: ["test"], erasedAt: t(5))
        let record = try await store.erase([identity, ChannelIdentity(channel: "test", userID: "u3")], recording: asked, at: t(5))
        #expect(record.inboxItems == 2, "both of u1's items on the channel")
        #expect(record.outboxParts == 1)
        #expect(record.turns == 2)
        #expect(record.identityRecords >= 4, "two links, the orphaned profile, audit records: \(record.identityRecords)")
        #expect(try await store.erasure(confirmationCode: "code-1") == record, "the erasure is recorded as returned")
        #expect(try await store.erasure(confirmationCode: "unknown") == nil)

        let erasedAnswered = try #require(try await store.item(answered.id))
        #expect(erasedAnswered.event == answered.event.erased && erasedAnswered.state == .done)
        #expect(erasedAnswered.event.senderID == InboundEvent.erasedSenderID)
        guard case .message(let message) = erasedAnswered.event.kind else { Issue.record("erase changed the kind"); return }
        #expect(message.text == InboundEvent.redactedText && message.attachments.isEmpty)
        #expect(try await store.item(waiting.id)?.state == .dropped, "an unanswered item of the person is never answered")
        #expect(try await store.pending(at: t(6)).map(\.id).sorted() == [otherPerson.id, otherChannel.id].sorted())
        let erasedParts = try await store.parts(for: answered.id)
        #expect(erasedParts.map(\.message) == [OutboundMessage(text: InboundEvent.redactedText)])
        #expect(erasedParts.first?.state == .sent && erasedParts.first?.platformMessageID == "m1")
        #expect(try await store.history(of: conversation, limit: 10).isEmpty)
        #expect(try await store.sharedHistory(of: [identity], limit: 10).isEmpty)
        #expect(try await store.history(of: ConversationKey(channel: "other", accountID: "acct", userID: "u1"), limit: 10).count == 1,
                "the same id on another channel is not this person")
        #expect(try await store.item(otherPerson.id)?.event == otherPerson.event)
        #expect(try await store.profile(for: identity) == nil)
        #expect(try await store.profile(id: profile.id) == nil, "a profile with no link left is deleted, its address with it")
        #expect(try await store.profile(id: sharedProfile.id) != nil, "a profile another identity still uses stays")
        #expect(try await store.auditRecords(of: identity, limit: 10).isEmpty)
        #expect(try await store.accept([answered.event], at: t(7)).isEmpty, "the key still catches a redelivery")

        let nobody = try await store.erase([ChannelIdentity(channel: "test", userID: "nobody")],
                                           recording: ErasureRecord(confirmationCode: "code-2", source: "cli", channels: ["test"], erasedAt: t(8)), at: t(8))
        #expect(nobody.inboxItems == 0 && nobody.turns == 0 && nobody.identityRecords == 0 && nobody.outboxParts == 0)
        #expect(try await store.erasure(confirmationCode: "code-2") == nobody)
    }

    /// The sweep removes the text of finished items accepted before the text cutoff (and of
    /// their parts), deletes turns before it, deletes finished items accepted before the key
    /// cutoff, and never touches items still to be answered; a second sweep changes nothing.
    static func retentionSweep(_ store: any PipelineStore) async throws {
        guard let store = privacyStore(store) else { return }
        let day: Int64 = 86_400
        let ancient = try await processing(store, text("ancient", at: 0), at: t(0))
        try await store.complete(ancient.id, at: t(1))
        let old = try await processing(store, text("old", at: 2 * day), at: t(2 * day))
        let oldParts = try await store.recordReply(
            for: old.id, parts: [OutboundMessage(text: "old answer")], conversation: old.event.conversation,
            turns: [ConversationTurn(role: .user, text: "old question", timestamp: t(2 * day)),
                    ConversationTurn(role: .assistant, text: "old answer", timestamp: t(2 * day + 1))], at: t(2 * day + 1))
        try await store.markSentAndComplete(oldParts[0].id, platformMessageID: "m-old", inboxID: old.id, at: t(2 * day + 2))
        let oldUnanswered = try await accepted(store, text("old-unanswered", at: 2 * day), at: t(2 * day))
        let oldIgnored = try #require(try await store.accept([EventFactory.ignored(.read, from: "u1", id: "read-1")], at: t(2 * day)).first)
        let recent = try await processing(store, text("recent", at: 9 * day), at: t(9 * day))
        _ = try await store.recordReply(for: recent.id, parts: [OutboundMessage(text: "recent answer")],
                                        conversation: recent.event.conversation,
                                        turns: [ConversationTurn(role: .user, text: "recent question", timestamp: t(9 * day))], at: t(9 * day))
        try await store.complete(recent.id, at: t(9 * day + 1))

        // Text older than day 5 goes; keys older than day 1 go.
        let sweep = try await store.sweepRetention(textBefore: t(5 * day), keysBefore: t(day), at: t(10 * day))
        #expect(sweep.inboxItemsDeleted == 1, "the finished item accepted before the key cutoff")
        #expect(sweep.inboxItemsRedacted == 1, "the old answered item (the read receipt has no text)")
        #expect(sweep.outboxPartsRedacted == 1)
        #expect(sweep.turnsDeleted == 2)
        #expect(try await store.item(ancient.id) == nil)
        #expect(try await store.accept([ancient.event], at: t(10 * day)).count == 1, "its key went with it")

        let swept = try #require(try await store.item(old.id))
        #expect(swept.event == old.event.withoutContent && swept.state == .done && swept.event.senderID == "u1")
        #expect(try await store.parts(for: old.id).map(\.message) == [OutboundMessage(text: InboundEvent.redactedText)])
        #expect(try await store.accept([old.event], at: t(10 * day)).isEmpty, "a key inside the key window still deduplicates")
        #expect(try await store.item(oldUnanswered.id)?.event == oldUnanswered.event, "items still to be answered are never touched")
        #expect(try await store.item(oldIgnored.id)?.state == .ignored)
        #expect(try await store.item(recent.id)?.event == recent.event)
        #expect(try await store.parts(for: recent.id).map(\.message) == [OutboundMessage(text: "recent answer")])
        #expect(try await store.history(of: recent.event.conversation, limit: 10).map(\.text) == ["recent question"])

        let again = try await store.sweepRetention(textBefore: t(5 * day), keysBefore: t(day), at: t(10 * day + 1))
        #expect(again.isEmpty, "a second sweep changes nothing: \(again)")
    }
}
