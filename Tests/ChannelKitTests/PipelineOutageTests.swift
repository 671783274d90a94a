import ChannelKit
import ChannelKitTesting
import ChannelPipeline
import Foundation
import Logging
import Synchronization
import Testing

/// The assistant down for a while, and messages that keep stopping the host: every person
/// still gets one coherent answer.
@Suite("Pipeline: outages and poison messages")
struct PipelineOutageTests {
    let logger = Logger(label: "test")

    func makePipeline(channel: RecordingChannel, assistant: any Assistant, store: any PipelineStore = InMemoryStore(),
                      options: Pipeline.Options) -> Pipeline {
        Pipeline(channels: [channel], store: store, identities: InMemoryIdentityDirectory(), assistant: assistant,
                 options: options, executor: TestThreads.replies, timers: TestThreads.timers, logger: logger)
    }

    static func options(window: Duration, noteAfter: Duration = .zero, maxInterruptedClaims: Int = 1) -> Pipeline.Options {
        .init(retry: PipelineTests.fastRetry, apology: "Sorry!", maxInterruptedClaims: maxInterruptedClaims,
              poisonApology: "Sorry, that message broke something.", assistantRetryWindow: window,
              assistantHoldNoteAfter: noteAfter, assistantHoldNote: "One moment.")
    }

    @Test("an assistant down for two tries: one 'one moment' note, then the real answer; the next message waits its turn; others flow")
    func outageThenRecovery() async throws {
        let channel = RecordingChannel()
        let failuresLeft = Mutex(2)
        let assistant = ScriptedAssistant { turn in
            if turn.conversation.userID == "u1", failuresLeft.withLock({ left in defer { left -= 1 }; return left > 0 }) {
                throw AssistantError.status(503, "overloaded")
            }
            return AssistantReply(markdown: "re: \(turn.message.text)")
        }
        let store: any PipelineStore = InMemoryStore()
        let pipeline = makePipeline(channel: channel, assistant: assistant, store: store, options: Self.options(window: .seconds(120)))
        try await pipeline.accept([
            EventFactory.text("first", from: "u1", id: "o1", at: 1_760_000_000_000),
            EventFactory.text("second", from: "u1", id: "o2", at: 1_760_000_001_000),
            EventFactory.text("elsewhere", from: "u2", id: "o3", at: 1_760_000_000_000),
        ])
        #expect(await pipeline.waitUntilIdle(timeout: .seconds(60)))
        #expect(channel.sentTexts(to: "u1") == ["One moment.", "re: first", "re: second"])
        #expect(channel.sentTexts(to: "u2") == ["re: elsewhere"])
        // The second message was asked only once the first was answered.
        let order = assistant.turns.filter { $0.conversation.userID == "u1" }.map(\.message.text)
        #expect(order == ["first", "first", "first", "second"])
        let done = try #require(try await store.items(in: [.done], limit: 10).first { $0.event.platformMessageID == "o1" })
        #expect(done.attempts == 0, "waiting for the assistant counts no attempt")

        // The platform echoes every message sent, the note too: all of them this host's own, so
        // none pauses the conversation, and the next message is answered.
        let sent = channel.calls.filter { $0.kind == .send && $0.recipient.userID == "u1" && $0.succeeded }
        #expect(sent.count == 3 && sent.allSatisfy { $0.platformMessageID != nil })
        // Echoed now: a person's reply would pause the conversation from now on.
        let now = Date()
        let echoes = sent.enumerated().map { index, call in
            InboundEvent(channel: channel.name, accountID: "acct", senderID: "u1", platformMessageID: call.platformMessageID ?? "",
                         timestamp: now.addingTimeInterval(Double(index) / 1000), kind: .echo(Echo(text: call.message?.text)))
        }
        let third = EventFactory.text("third", from: "u1", id: "o4", at: Int64(now.timeIntervalSince1970 * 1000) + 10)
        try await pipeline.accept(echoes + [third])
        #expect(await pipeline.waitUntilIdle(timeout: .seconds(60)))
        #expect(channel.sentTexts(to: "u1").last == "re: third", "an echo of the note paused the conversation")
        #expect(try await store.conversationControl(of: echoes[0].conversation, at: Date()) == nil)
    }

    @Test("an outage longer than the window ends with the apology, once; a refusal gets it at once")
    func outagePastTheWindow() async throws {
        let channel = RecordingChannel()
        let assistant = ScriptedAssistant { turn in
            if turn.message.text == "refused" { throw AssistantError.status(400, "bad request") }
            throw HTTPTransportError(.connectionFailed, "connection refused")
        }
        let pipeline = makePipeline(channel: channel, assistant: assistant,
                                    options: Self.options(window: .seconds(2), noteAfter: .seconds(60)))
        try await pipeline.accept([EventFactory.text("down", from: "u1", id: "w1"), EventFactory.text("refused", from: "u2", id: "w2")])
        #expect(await pipeline.waitUntilIdle(timeout: .seconds(60)))
        #expect(channel.sentTexts(to: "u1") == ["Sorry!"], "no note: the window closes before the note would be due")
        #expect(channel.sentTexts(to: "u2") == ["Sorry!"])
        #expect(assistant.turns.filter { $0.message.text == "down" }.count >= 2, "the assistant was asked again")
        #expect(assistant.turns.filter { $0.message.text == "refused" }.count == 1)
    }

    @Test("a message claimed more than max_interrupted_claims times without an outcome is dead, with one apology; others are answered")
    func poison() async throws {
        let store: any PipelineStore = InMemoryStore()
        let now = Date()
        let sent = Int64(now.timeIntervalSince1970 * 1000)
        let items = try await store.accept([EventFactory.text("crashes the host", from: "u1", id: "p1", at: sent),
                                            EventFactory.text("innocent", from: "u2", id: "p2", at: sent)], at: now)
        // Two earlier runs died while working on p1 (claims that never ended), one on p2.
        for _ in 1...2 {
            _ = try await store.claim(items[0].id, leaseUntil: now.addingTimeInterval(60), at: now)
            _ = try await store.releaseAllLeases(at: now)
        }
        _ = try await store.claim(items[1].id, leaseUntil: now.addingTimeInterval(60), at: now)
        _ = try await store.releaseAllLeases(at: now)

        let channel = RecordingChannel()
        let assistant = ScriptedAssistant.echo()
        let pipeline = makePipeline(channel: channel, assistant: assistant, store: store, options: Self.options(window: .zero))
        try await pipeline.start()
        #expect(await pipeline.waitUntilIdle(timeout: .seconds(30)))
        #expect(channel.sentTexts(to: "u1") == ["Sorry, that message broke something."])
        #expect(channel.sentTexts(to: "u2") == ["re: innocent"])
        #expect(assistant.turns.map(\.message.text) == ["innocent"], "the poison message never reached the assistant again")
        let dead = try #require(try await store.item(items[0].id))
        #expect(dead.state == .dead)
        #expect(dead.lastError?.contains("poison") == true)
        #expect(dead.unfinishedClaims == 0)
        #expect(try await store.item(items[1].id)?.state == .done)
    }
}
