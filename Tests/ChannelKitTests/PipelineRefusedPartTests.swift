import ChannelKit
import ChannelKitTesting
import ChannelPipeline
import ChannelRendering
import Foundation
import Logging
import Testing

/// A reply part the platform refuses as an invalid parameter (Graph's code 100 for a text it
/// counts as too long): split smaller and sent, or replaced by the fallback — never nothing.
@Suite("Pipeline: refused reply parts")
struct PipelineRefusedPartTests {
    let logger = Logger(label: "test")

    /// A plain-text channel whose profile allows 100 UTF-8 bytes a part.
    static let profile = ChannelProfile(formatting: .plain, textLimit: TextLimit(maximum: 100, unit: .utf8Bytes),
                                        quickReplies: QuickReplyLimits(maximumCount: 3, maximumTitleLength: 20))

    /// Graph's answer to a text it counts as over the limit.
    static let invalidParameter = ChannelError.permanent("Graph API error 100 OAuthException (HTTP 400): (#100) Invalid parameter",
                                                         platformCode: 100, isInvalidParameter: true)

    /// The default fallback as the channel gets it.
    static let fallback = MarkdownRenderer().render(Pipeline.Options().refusedReplyFallback, for: profile).joined()

    /// 40 numbered sentences, about 1 KB: ten or so parts of at most 100 bytes.
    static let answer = (1...40).map { "Sentence number \($0) is here." }.joined(separator: " ")

    func makePipeline(channel: RecordingChannel, store: any PipelineStore, answer: String = Self.answer,
                      quickReplies: [QuickReply] = []) -> Pipeline {
        Pipeline(channels: [channel], store: store, identities: InMemoryIdentityDirectory(),
                 assistant: ScriptedAssistant { _ in AssistantReply(markdown: answer, quickReplies: quickReplies) },
                 options: .init(retry: RetryPolicy(attempts: 3, initialDelay: .milliseconds(1), maximumDelay: .milliseconds(5))),
                 executor: TestThreads.replies, timers: TestThreads.timers, logger: logger)
    }

    func item(_ store: any PipelineStore, _ platformID: String) async throws -> InboxItem {
        try #require(try await store.items(in: Set(InboxState.allCases), limit: 100).first { $0.event.platformMessageID == platformID })
    }

    static func words(_ text: String) -> [Substring] { text.split(whereSeparator: \.isWhitespace) }

    @Test("a part the platform counts as too long is split within half the limit and sent in its place; the whole answer arrives")
    func refusedPartSplitSmaller() async throws {
        let channel = RecordingChannel(profile: Self.profile)
        // The platform counts longer than the profile says: anything over 60 bytes is refused.
        channel.refuseSends { $0.text.utf8.count > 60 ? Self.invalidParameter : nil }
        let store: any PipelineStore = InMemoryStore()
        let pipeline = makePipeline(channel: channel, store: store)
        try await pipeline.accept([EventFactory.text("tell me", from: "u1", id: "r1")])
        await pipeline.waitUntilIdle()

        let sent = channel.sentTexts(to: "u1")
        #expect(Self.words(sent.joined(separator: " ")) == Self.words(Self.answer), "every word arrives, in order, once")
        #expect(sent.allSatisfy { $0.utf8.count <= 50 }, "the pieces are within half the limit")
        #expect(!sent.contains(Self.fallback))
        let done = try await item(store, "r1")
        #expect(done.state == .done)
        let parts = try await store.parts(for: done.id)
        #expect(parts.allSatisfy { $0.state != .pending })
        #expect(parts.filter { $0.state == .failed }.allSatisfy { $0.lastError?.contains("(#100)") == true && $0.message.text.utf8.count > 60 },
                "each refused part is kept, failed, with the platform's reason")
        #expect(parts.filter { $0.state == .sent }.map(\.message.text) == sent, "the outbox holds what was sent")
        #expect(parts.map(\.index) == Array(parts.indices))
    }

    @Test("a piece refused again: the person gets the fallback, the reply ends there and the item is done")
    func refusedAgainGetsTheFallback() async throws {
        let channel = RecordingChannel(profile: Self.profile)
        channel.refuseSends { $0.text.hasPrefix("Sentence number 1 ") ? Self.invalidParameter : nil }
        let store: any PipelineStore = InMemoryStore()
        let pipeline = makePipeline(channel: channel, store: store)
        try await pipeline.accept([EventFactory.text("tell me", from: "u1", id: "r2")])
        await pipeline.waitUntilIdle()

        #expect(channel.sentTexts(to: "u1") == [Self.fallback], "never nothing")
        let sends = channel.calls.filter { $0.kind == .send }
        #expect(sends.count == 3, "the part, its first piece, the fallback")
        let done = try await item(store, "r2")
        #expect(done.state == .done)
        let parts = try await store.parts(for: done.id)
        #expect(parts.filter { $0.state == .sent }.map(\.message.text) == [Self.fallback])
        #expect(parts.filter { $0.state == .pending }.isEmpty)
        #expect(parts.filter { $0.lastError == OutboxPart.abandonedReason }.count == parts.count - 3,
                "the rest of the reply is abandoned, not sent after the fallback")
    }

    @Test("a later part refused twice: the earlier parts stay delivered and the fallback follows them")
    func laterPartRefused() async throws {
        let channel = RecordingChannel(profile: Self.profile)
        channel.refuseSends { $0.text.contains("number 7 ") ? Self.invalidParameter : nil }
        let store: any PipelineStore = InMemoryStore()
        let pipeline = makePipeline(channel: channel, store: store, quickReplies: [QuickReply(title: "More", payload: "MORE")])
        try await pipeline.accept([EventFactory.text("tell me", from: "u1", id: "r3")])
        await pipeline.waitUntilIdle()

        let sent = channel.sentTexts(to: "u1")
        #expect(sent.last == Self.fallback)
        let before = sent.dropLast().joined(separator: " ")
        #expect(before.hasPrefix("Sentence number 1 is here.") && before.contains("number 6 is here."))
        #expect(!before.contains("number 7 ") && !before.contains("number 40 "))
        #expect(channel.calls.last?.message?.quickReplies.isEmpty == true, "the fallback carries no buttons meant for the answer")
        #expect(try await item(store, "r3").state == .done)
    }

    @Test("quick replies stay on the reply's last piece when its last part is split")
    func quickRepliesOnTheLastPiece() async throws {
        let channel = RecordingChannel(profile: Self.profile)
        channel.refuseSends { $0.text.utf8.count > 60 ? Self.invalidParameter : nil }
        let store: any PipelineStore = InMemoryStore()
        let buttons = [QuickReply(title: "Yes", payload: "YES"), QuickReply(title: "No", payload: "NO")]
        let pipeline = makePipeline(channel: channel, store: store, answer: String(repeating: "word ", count: 18) + "end.",
                                    quickReplies: buttons)
        try await pipeline.accept([EventFactory.text("ask", from: "u1", id: "r4")])
        await pipeline.waitUntilIdle()

        let delivered = channel.calls.filter { $0.kind == .send && $0.succeeded }.compactMap(\.message)
        #expect(delivered.count == 2)
        #expect(delivered.map(\.quickReplies) == [[], buttons])
        #expect(delivered.last?.text.hasSuffix("end.") == true)
    }

    @Test("the fallback refused too: the item is dead, after three sends and no more")
    func fallbackRefused() async throws {
        let channel = RecordingChannel(profile: Self.profile)
        channel.refuseSends { _ in Self.invalidParameter }
        let store: any PipelineStore = InMemoryStore()
        let pipeline = makePipeline(channel: channel, store: store)
        try await pipeline.accept([EventFactory.text("tell me", from: "u1", id: "r5")])
        await pipeline.waitUntilIdle()

        #expect(channel.calls.filter { $0.kind == .send }.count == 3)
        let dead = try await item(store, "r5")
        #expect(dead.state == .dead)
        #expect(dead.lastError?.contains("(#100)") == true)
    }

    @Test("a permanent refusal that is not about the message (outside the window) kills at once, with no fallback")
    func otherPermanentErrorsUnchanged() async throws {
        let channel = RecordingChannel(profile: Self.profile)
        channel.refuseSends { _ in .permanent("outside window", platformCode: 10, platformSubcode: 2534022) }
        let store: any PipelineStore = InMemoryStore()
        let pipeline = makePipeline(channel: channel, store: store)
        try await pipeline.accept([EventFactory.text("tell me", from: "u1", id: "r6")])
        await pipeline.waitUntilIdle()

        #expect(channel.calls.filter { $0.kind == .send }.count == 1)
        #expect(try await item(store, "r6").state == .dead)
    }

    @Test("after a restart the recorded replacement is sent, not the refused part, and nothing sent goes again")
    func replacementResumedAfterRestart() async throws {
        let store: any PipelineStore = InMemoryStore()
        // Recent, so that the restart does not expire it.
        let event = EventFactory.text("tell me", from: "u1", id: "r7", at: Int64(Date().timeIntervalSince1970 * 1000))
        let accepted = try #require(try await store.accept([event], at: Date()).first)
        _ = try await store.claim(accepted.id, leaseUntil: Date().addingTimeInterval(300), at: Date())
        let recorded = try await store.recordReply(for: accepted.id, parts: [OutboundMessage(text: "first, sent"),
                                                                             OutboundMessage(text: "second, refused"),
                                                                             OutboundMessage(text: "third")],
                                                   conversation: event.conversation, turns: [], at: Date())
        try await store.markSent(recorded[0].id, platformMessageID: "mid.1", at: Date())
        _ = try await store.replaceRefusedPart(recorded[1].id, with: [OutboundMessage(text: "second,"), OutboundMessage(text: "refused")],
                                               reason: "(#100)", abandoningRest: false, at: Date())

        // The process died here; a new one takes the item up again.
        let channel = RecordingChannel(profile: Self.profile)
        let pipeline = makePipeline(channel: channel, store: store)
        try await pipeline.start()
        await pipeline.waitUntilIdle()

        #expect(channel.sentTexts(to: "u1") == ["second,", "refused", "third"])
        #expect(try await store.item(accepted.id)?.state == .done)
    }
}
