import ChannelKit
import Foundation
import Testing

// Scenarios: what goes in comes out (times, rich events).
extension StoreConformance {
    // MARK: - Round trips

    static func millisecondTimestamps(_ store: any PipelineStore) async throws {
        let event = EventFactory.text("ms", from: "u1", id: "ms1", at: baseMilliseconds + 123)
        let item = try await accepted(store, event, at: t(1, ms: 7))
        #expect(item.receivedAt == t(1, ms: 7))
        _ = try await store.claim(item.id, leaseUntil: t(30, ms: 456), at: t(2, ms: 1))
        #expect(try await store.item(item.id)?.leaseExpiresAt == t(30, ms: 456))
        #expect(try await store.item(item.id)?.updatedAt == t(2, ms: 1))
        try await store.fail(item.id, reason: "x", nextAttemptAt: t(60, ms: 789), countsAsAttempt: true, at: t(3, ms: 999))
        let failed = try #require(try await store.item(item.id))
        #expect(failed.nextAttemptAt == t(60, ms: 789) && failed.updatedAt == t(3, ms: 999) && failed.receivedAt == t(1, ms: 7))
        #expect(failed.event.timestamp == Date(timeIntervalSince1970: Double(baseMilliseconds + 123) / 1000))
        #expect(try await store.claim(item.id, leaseUntil: t(100), at: t(60, ms: 788)) == nil, "one millisecond early")
        #expect(try await store.claim(item.id, leaseUntil: t(100), at: t(60, ms: 789)) != nil, "on the millisecond")

        let key = ConversationKey(channel: "test", accountID: "acct", userID: "ms")
        let turns = [ConversationTurn(role: .user, text: "q", timestamp: t(5, ms: 1)),
                     ConversationTurn(role: .assistant, text: "a", timestamp: t(5, ms: 999))]
        try await store.append(turns, to: key)
        #expect(try await store.history(of: key, limit: 2) == turns)

        let old = try await accepted(store, EventFactory.text("old", from: "u1", id: "ms2", at: baseMilliseconds - 1))
        #expect(try await store.expire(before: t(0), at: t(9)) == 1, "expire compares platform timestamps to the millisecond")
        #expect(try await store.item(old.id)?.state == .expired)
    }

    static func richEventsRoundTrip(_ store: any PipelineStore) async throws {
        let referral = Referral(ref: "spring-promo", source: "ADS", type: "OPEN_THREAD")
        let message = InboundMessage(
            text: "Bonjour 👋🏽 — “quotes”, \"escapes\", new\nline, tab\t, and \u{0000}NUL",
            attachments: [
                Attachment(kind: .image, platformType: "image", url: "https://cdn.example/a.jpg?sig=1&x=2", mediaID: "m-1",
                           mimeType: "image/jpeg", title: "a caption"),
                Attachment(kind: .reel, platformType: "ig_reel", url: nil, mediaID: nil, mimeType: nil, title: nil),
                Attachment(kind: .audio, platformType: "audio", url: "https://cdn.example/v.mp4", mediaID: "m-3",
                           mimeType: "audio/mp4", title: ""),
            ],
            quickReplyPayload: "PAYLOAD_1",
            replyTo: .story(id: "story-1", url: "https://cdn.example/story"),
            referral: referral
        )
        let events = [
            InboundEvent(channel: "instagram", accountID: "17841400000000000", senderID: "123456789012345",
                         platformMessageID: "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAw", timestamp: t(1, ms: 42),
                         kind: .message(message)),
            InboundEvent(channel: "instagram", accountID: "acct", senderID: "u1", platformMessageID: "reply-to-message",
                         timestamp: t(2), kind: .message(InboundMessage(text: nil, replyTo: .message(id: "earlier")))),
            InboundEvent(channel: "instagram", accountID: "acct", senderID: "u1", platformMessageID: "story-no-url",
                         timestamp: t(2), kind: .message(InboundMessage(text: "", replyTo: .story(id: "s", url: nil)))),
            InboundEvent(channel: "instagram", accountID: "acct", senderID: "u1", platformMessageID: "postback-1",
                         timestamp: t(3), kind: .postback(Postback(title: "Get started", payload: "GET_STARTED", referral: referral))),
            InboundEvent(channel: "instagram", accountID: "acct", senderID: "u1", platformMessageID: "postback-empty",
                         timestamp: t(3), kind: .postback(Postback())),
            InboundEvent(channel: "instagram", accountID: "acct", senderID: "u1", platformMessageID: "reaction-1",
                         timestamp: t(4), kind: .ignored(IgnoredEvent(reason: .reaction, targetMessageID: "mid.9", detail: "❤️"))),
            InboundEvent(channel: "instagram", accountID: "acct", senderID: "u1", platformMessageID: "echo-1",
                         timestamp: t(5), kind: .echo(Echo(text: "Ana here \"quoted\"", attachments: [Attachment(kind: .image, platformType: "image")],
                                                           appID: "263902037430900"))),
            InboundEvent(channel: "whatsapp", accountID: "acct", senderID: "u1", platformMessageID: "echo-2",
                         timestamp: t(5), kind: .echo(Echo(sentMessageID: "wamid.sent"))),
            InboundEvent(channel: "instagram", accountID: "acct", senderID: "u1", platformMessageID: "control-1",
                         timestamp: t(6), kind: .control(ThreadControl(action: .take, appID: "777", previousAppID: "1", metadata: "helpdesk"))),
            InboundEvent(channel: "instagram", accountID: "acct", senderID: "u1", platformMessageID: "control-2",
                         timestamp: t(6), kind: .control(ThreadControl(action: .request))),
        ]
        let created = try await store.accept(events, at: t(10))
        #expect(created.map(\.event) == events)
        for (event, item) in zip(events, created) {
            let stored = try #require(try await store.item(item.id))
            #expect(stored.event == event, "\(event.platformMessageID) round-trips exactly")
        }
        let pending = try await store.pending(at: t(10))
        #expect(Set(pending.map(\.event)) == Set(events.filter(\.takesTurn)))
    }

    static func traceContextRoundTrip(_ store: any PipelineStore) async throws {
        let context = "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\ntracestate: congo=t61rcWkgMzE"
        let traced = try await store.accept([text("traced", from: "u1"), text("traced-2", from: "u2")], traceContext: context, at: t(1))
        #expect(traced.map(\.traceContext) == [context, context], "accept returns what it stored")
        let untraced = try #require(try await store.accept([text("untraced", from: "u3")], at: t(1)).first)
        #expect(untraced.traceContext == nil)

        // Whichever host claims the item gets the trace with it, by either claim.
        let claimed = try #require(try await store.claim(traced[0].id, leaseUntil: t(100), at: t(2)))
        #expect(claimed.traceContext == context)
        guard case .claimed(let head) = try await store.claimHead(traced[1].id, owner: "host-b", leaseUntil: t(100), at: t(2)) else {
            Issue.record("the head of u2's conversation was not claimed")
            return
        }
        #expect(head.traceContext == context)
        #expect(try await store.item(traced[0].id)?.traceContext == context)
        #expect(try await store.items(withIDs: traced.map(\.id)).map(\.traceContext) == [context, context])
        let pendingUntraced = try #require(try await store.pending(at: t(2)).first { $0.id == untraced.id })
        #expect(pendingUntraced.traceContext == nil)
        // A redelivery of a traced event creates nothing and changes nothing.
        #expect(try await store.accept([text("traced", from: "u1")], traceContext: "traceparent: other", at: t(3)).isEmpty)
        #expect(try await store.item(traced[0].id)?.traceContext == context)
    }
}
