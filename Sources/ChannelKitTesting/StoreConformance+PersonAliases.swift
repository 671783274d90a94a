import ChannelKit
import Foundation
import Testing

extension StoreConformance {
    /// A person named by two ids (WhatsApp: a business-scoped user id and a phone number) stays
    /// one conversation: keyed on the id with history, then on that id for every id recorded.
    static func personAliases(_ store: any PipelineStore) async throws {
        let phone = "16505551234", bsuid = "US.13491208655302741918"
        // A person known by phone number: history under it.
        let byPhone = ConversationKey(channel: "wa", accountID: "acct", userID: phone)
        try await store.append([ConversationTurn(role: .user, text: "earlier", timestamp: t(0))], to: byPhone)

        // Now with both ids, keyed by the channel on the BSUID: the store keys it on the phone number.
        var both = text("m1", from: bsuid, at: 1, channel: "wa")
        both.alternativeSenderIDs = [phone]
        let first = try await accepted(store, both, at: t(1))
        #expect(first.event.senderID == phone, "the id with history wins")
        #expect(first.event.conversation == byPhone)
        #expect(first.event.recipient.userID == bsuid, "replies go to the id the person wrote from")
        #expect(first.event.alternativeSenderIDs == [bsuid])

        // Later with the BSUID only: still the same person.
        let only = try await accepted(store, text("m2", from: bsuid, at: 2, channel: "wa"), at: t(2))
        #expect(only.event.conversation == byPhone)
        #expect(only.event.recipient.userID == bsuid)
        #expect(try await store.items(withIDs: [only.id]).first?.event.senderID == phone, "stored keyed on the person")

        // The BSUID changes (user_changed_user_id): the new one is the same person too.
        var change = text("sys1", from: bsuid, at: 3, channel: "wa")
        change.kind = .ignored(IgnoredEvent(reason: .identityChange, detail: "user_changed_user_id"))
        change.alternativeSenderIDs = ["US.999"]
        _ = try await store.accept([change], at: t(3))
        let renamed = try await accepted(store, text("m3", from: "US.999", at: 4, channel: "wa"), at: t(4))
        #expect(renamed.event.conversation == byPhone)
        #expect(renamed.event.recipient.userID == "US.999")

        // A new person with both ids and no history is keyed on the id the channel chose.
        var newcomer = text("m4", from: "US.NEW1", at: 5, channel: "wa")
        newcomer.alternativeSenderIDs = ["4915100000000"]
        let fresh = try await accepted(store, newcomer, at: t(5))
        #expect(fresh.event.senderID == "US.NEW1" && fresh.event.replyAddress == nil)
        let byNumber = try await accepted(store, text("m5", from: "4915100000000", at: 6, channel: "wa"), at: t(6))
        #expect(byNumber.event.senderID == "US.NEW1", "the phone number was recorded as theirs")

        // Other channels and other people are untouched.
        let elsewhere = try await accepted(store, text("m6", from: phone, at: 7, channel: "other"), at: t(7))
        #expect(elsewhere.event.senderID == phone && elsewhere.event.replyAddress == nil)
        let stranger = try await accepted(store, text("m7", from: "US.OTHER", at: 8, channel: "wa"), at: t(8))
        #expect(stranger.event.senderID == "US.OTHER" && stranger.event.alternativeSenderIDs.isEmpty)
    }

    /// Erasing a person by any id they are known by erases what is kept under each of them,
    /// and forgets the ids: the next message from one of them starts a new person.
    static func erasureFollowsAliases(_ store: any PipelineStore) async throws {
        guard let store = privacyStore(store) else { return }
        let phone = "16505550000", bsuid = "US.20000000000000000001"
        let byPhone = ConversationKey(channel: "wa", accountID: "acct", userID: phone)
        try await store.append([ConversationTurn(role: .user, text: "private", timestamp: t(0))], to: byPhone)
        var both = text("a1", from: bsuid, at: 1, channel: "wa")
        both.alternativeSenderIDs = [phone]
        let item = try await accepted(store, both, at: t(1))

        let asked = ErasureRecord(confirmationCode: "code-alias", source: "data_deletion", channels: ["wa"], erasedAt: t(2))
        let record = try await store.erase([ChannelIdentity(channel: "wa", userID: bsuid)], recording: asked, at: t(2))
        #expect(record.inboxItems == 1 && record.turns == 1, "erased by the BSUID, kept under the phone number")
        #expect(try await store.history(of: byPhone, limit: 10).isEmpty)
        let kept = try #require(try await store.item(item.id))
        #expect(kept.event.alternativeSenderIDs.isEmpty && kept.event.replyAddress == nil, "no id of the person is kept")
        #expect(kept.state == .dropped)
        let later = try await accepted(store, text("a2", from: bsuid, at: 3, channel: "wa"), at: t(3))
        #expect(later.event.senderID == bsuid, "the alias is forgotten")
    }
}
