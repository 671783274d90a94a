import ChannelKit
import Foundation
import Testing

extension StoreConformance {
    /// A refused part replaced by smaller ones: it stays as `failed` with the reason, the new
    /// parts follow it as `pending`, later parts move along with ids that follow their index and
    /// keep their state; sent parts are untouched; the result is what `parts(for:)` reads.
    static func replaceRefusedPart(_ store: any PipelineStore) async throws {
        let item = try await processing(store, text("r1"))
        let buttons = [QuickReply(title: "More", payload: "MORE")]
        let parts = try await store.recordReply(for: item.id, parts: [
            OutboundMessage(text: "a"), OutboundMessage(text: "b"), OutboundMessage(text: "c"),
            OutboundMessage(text: "d", quickReplies: buttons),
        ], conversation: conversation, turns: [], at: t(2))
        try await store.markSent(parts[0].id, platformMessageID: "mid.a", at: t(3))

        let replaced = try await store.replaceRefusedPart(parts[1].id, with: [OutboundMessage(text: "b1"), OutboundMessage(text: "b2")],
                                                          reason: "permanent: (#100) Invalid parameter", abandoningRest: false, at: t(4))
        #expect(replaced.map(\.message.text) == ["a", "b", "b1", "b2", "c", "d"])
        #expect(replaced.map(\.state) == [.sent, .failed, .pending, .pending, .pending, .pending])
        #expect(replaced.map(\.index) == Array(0..<6))
        #expect(replaced.map(\.id) == (0..<6).map { "\(item.id).\($0)" }, "ids follow the index")
        #expect(replaced[1].lastError == "permanent: (#100) Invalid parameter")
        #expect(replaced[0].platformMessageID == "mid.a", "a sent part is untouched")
        #expect(replaced[5].message.quickReplies == buttons, "a moved part keeps its message")
        #expect(try await store.parts(for: item.id) == replaced, "what was returned is what is recorded")

        // The moved and the new parts go through the usual transitions under their new ids.
        try await store.markSent(replaced[2].id, platformMessageID: "mid.b1", at: t(5))
        try await store.markSent(replaced[5].id, platformMessageID: "mid.d", at: t(5))

        // A piece refused again: the fallback ends the reply; what is still pending after it is abandoned.
        let fallback = try await store.replaceRefusedPart(replaced[3].id, with: [OutboundMessage(text: "sorry")],
                                                          reason: "permanent: (#100) again", abandoningRest: true, at: t(6))
        #expect(fallback.map(\.message.text) == ["a", "b", "b1", "b2", "sorry", "c", "d"])
        #expect(fallback.map(\.state) == [.sent, .failed, .sent, .failed, .pending, .failed, .sent])
        #expect(fallback.map(\.lastError) == [nil, "permanent: (#100) Invalid parameter", nil, "permanent: (#100) again", nil,
                                              OutboxPart.abandonedReason, nil])
        #expect(fallback.map(\.platformMessageID) == ["mid.a", nil, "mid.b1", nil, nil, nil, "mid.d"])
        #expect(fallback.map(\.id) == (0..<7).map { "\(item.id).\($0)" })
        #expect(try await store.parts(for: item.id) == fallback)

        await expectStoreError(.invalidTransition, "replacing a failed part") {
            _ = try await store.replaceRefusedPart(fallback[1].id, with: [OutboundMessage(text: "x")], reason: "x", abandoningRest: false, at: t(7))
        }
        await expectStoreError(.invalidTransition, "replacing a sent part") {
            _ = try await store.replaceRefusedPart(fallback[0].id, with: [OutboundMessage(text: "x")], reason: "x", abandoningRest: false, at: t(7))
        }
        await expectStoreError(.invalidTransition, "replacing an unknown part") {
            _ = try await store.replaceRefusedPart("\(item.id).99", with: [OutboundMessage(text: "x")], reason: "x", abandoningRest: false, at: t(7))
        }
        #expect(try await store.parts(for: item.id) == fallback, "refused replacements change nothing")

        // Another reply is not touched.
        let other = try await processing(store, text("r2"))
        let otherParts = try await store.recordReply(for: other.id, parts: [OutboundMessage(text: "x"), OutboundMessage(text: "y")],
                                                     conversation: conversation, turns: [], at: t(8))
        _ = try await store.replaceRefusedPart(otherParts[1].id, with: (1...11).map { OutboundMessage(text: "y\($0)") },
                                               reason: "r", abandoningRest: false, at: t(9))
        #expect(try await store.parts(for: other.id).map(\.index) == Array(0..<13), "more than ten parts keep their order")
        #expect(try await store.parts(for: item.id) == fallback)
    }
}
