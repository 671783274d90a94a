import ChannelKit
import ChannelKitTesting
import Foundation
import Logging
import Testing

@Suite("Pipeline")
struct PipelineTests {
    let logger = Logger(label: "test")

    func makePipeline(channel: RecordingChannel, assistant: any Assistant, store: InMemoryStore = InMemoryStore(),
                      options: Pipeline.Options = .init(retry: RetryPolicy(attempts: 3, initialDelay: .milliseconds(1), maximumDelay: .milliseconds(5)))) -> Pipeline {
        Pipeline(channels: [channel], inbox: store, conversations: store, identities: InMemoryIdentityDirectory(),
                 assistant: assistant, options: options, logger: logger)
    }

    @Test("a repeated event is accepted once and answered once")
    func dedup() async throws {
        let channel = RecordingChannel()
        let pipeline = makePipeline(channel: channel, assistant: ScriptedAssistant.echo())
        let event = EventFactory.text("hi", from: "u1", id: "m1")
        let first = try await pipeline.accept([event, event])
        let second = try await pipeline.accept([event])
        #expect(first.accepted == 1)
        #expect(second.accepted == 0)
        await pipeline.waitUntilIdle()
        #expect(channel.sentTexts(to: "u1") == ["re: hi"])
    }

    @Test("concurrent deliveries of the same event: exactly one is new")
    func concurrentDedup() async throws {
        let channel = RecordingChannel()
        let pipeline = makePipeline(channel: channel, assistant: ScriptedAssistant.echo())
        let event = EventFactory.text("race", from: "u1", id: "m-race")
        let accepted = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 { group.addTask { try await pipeline.accept([event]).accepted } }
            return try await group.reduce(0, +)
        }
        #expect(accepted == 1)
        await pipeline.waitUntilIdle()
        #expect(channel.sentTexts(to: "u1").count == 1)
    }

    @Test("one sender's messages are answered one at a time in timestamp order")
    func ordering() async throws {
        let channel = RecordingChannel()
        let inFlight = InFlightCounter()
        let assistant = ScriptedAssistant { turn in
            await inFlight.enter(turn.conversation.userID)
            try await Task.sleep(for: .milliseconds(2))
            await inFlight.leave(turn.conversation.userID)
            return AssistantReply(markdown: "re: \(turn.message.text)")
        }
        let pipeline = makePipeline(channel: channel, assistant: assistant)
        // One delivery carrying 30 events in scrambled order: processed by platform timestamp.
        let shuffled = (0..<30).shuffled()
        try await pipeline.accept(shuffled.map { EventFactory.text("\($0)", from: "u1", id: "m\($0)", at: 1_000 + Int64($0)) })
        await pipeline.waitUntilIdle()
        let texts = channel.sentTexts(to: "u1")
        #expect(texts == (0..<30).map { "re: \($0)" })
        #expect(await inFlight.maximum["u1"] == 1)
    }

    @Test("different senders proceed concurrently")
    func concurrency() async throws {
        let channel = RecordingChannel()
        let inFlight = InFlightCounter()
        let gate = Gate(count: 5)
        let assistant = ScriptedAssistant { turn in
            await inFlight.enter("all")
            await gate.arriveAndWait()   // only returns once all five senders are in the assistant together
            await inFlight.leave("all")
            return AssistantReply(markdown: "ok")
        }
        let pipeline = makePipeline(channel: channel, assistant: assistant)
        for user in 0..<5 { try await pipeline.accept([EventFactory.text("x", from: "u\(user)", id: "c\(user)")]) }
        await pipeline.waitUntilIdle()
        #expect(await inFlight.maximum["all"] == 5)
    }

    @Test("ignored events are recorded and never answered")
    func ignored() async throws {
        let channel = RecordingChannel()
        let store = InMemoryStore()
        let pipeline = makePipeline(channel: channel, assistant: ScriptedAssistant.echo(), store: store)
        let result = try await pipeline.accept([EventFactory.ignored(.echo, from: "u1", id: "e1"), EventFactory.ignored(.read, from: "u1", id: "r1")])
        #expect(result.accepted == 2 && result.queued == 0)
        await pipeline.waitUntilIdle()
        #expect(channel.calls.isEmpty)
        #expect(await store.outcome(channel: "test", platformMessageID: "e1") == .ignored)
    }

    @Test("transient send failures are retried; the reply arrives once")
    func transientRetried() async throws {
        let channel = RecordingChannel()
        channel.failNextSends([.transient("503"), .transient("timeout")])
        let store = InMemoryStore()
        let pipeline = makePipeline(channel: channel, assistant: ScriptedAssistant.echo(), store: store)
        try await pipeline.accept([EventFactory.text("hi", from: "u1", id: "t1")])
        await pipeline.waitUntilIdle()
        #expect(channel.sentTexts(to: "u1") == ["re: hi"])
        #expect(channel.calls.filter { $0.kind == .send }.count == 3)
        #expect(await store.outcome(channel: "test", platformMessageID: "t1") == .answered)
    }

    @Test("permanent failures are not retried and are recorded")
    func permanentNotRetried() async throws {
        let channel = RecordingChannel()
        channel.failNextSends([.permanent("outside window", platformCode: 10, platformSubcode: 2534022)])
        let store = InMemoryStore()
        let pipeline = makePipeline(channel: channel, assistant: ScriptedAssistant.echo(), store: store)
        try await pipeline.accept([EventFactory.text("hi", from: "u1", id: "p1")])
        await pipeline.waitUntilIdle()
        #expect(channel.calls.filter { $0.kind == .send }.count == 1)
        guard case .failed(let reason) = await store.outcome(channel: "test", platformMessageID: "p1") else {
            Issue.record("expected a failed outcome"); return
        }
        #expect(reason.contains("2534022"))
    }

    @Test("an assistant failure or timeout gets the apology")
    func apology() async throws {
        let channel = RecordingChannel()
        struct Boom: Error {}
        let assistant = ScriptedAssistant { turn in
            if turn.message.text == "slow" { try await Task.sleep(for: .seconds(30)) }
            throw Boom()
        }
        let pipeline = makePipeline(channel: channel, assistant: assistant, options: .init(assistantTimeout: .milliseconds(50), apology: "Sorry!"))
        try await pipeline.accept([EventFactory.text("fail", from: "u1", id: "a1"), EventFactory.text("slow", from: "u2", id: "a2")])
        await pipeline.waitUntilIdle()
        #expect(channel.sentTexts(to: "u1") == ["Sorry!"])
        #expect(channel.sentTexts(to: "u2") == ["Sorry!"])
    }

    @Test("the assistant sees the conversation so far, and a long reply is split within the limit")
    func historyAndSplitting() async throws {
        let profile = ChannelProfile(formatting: .plain, textLimit: TextLimit(maximum: 40, unit: .utf8Bytes))
        let channel = RecordingChannel(profile: profile)
        let assistant = ScriptedAssistant { turn in
            AssistantReply(markdown: "**Turn \(turn.history.count / 2 + 1).** " + String(repeating: "word ", count: 20))
        }
        let pipeline = makePipeline(channel: channel, assistant: assistant)
        try await pipeline.accept([EventFactory.text("one", from: "u1", id: "h1", at: 1), EventFactory.text("two", from: "u1", id: "h2", at: 2)])
        await pipeline.waitUntilIdle()
        #expect(assistant.turns.count == 2)
        #expect(assistant.turns[1].history.map(\.text).first == "one")
        #expect(assistant.turns[1].history.count == 2)
        let texts = channel.sentTexts(to: "u1")
        #expect(texts.count > 2)
        #expect(texts.allSatisfy { $0.utf8.count <= 40 && !$0.contains("**") })
        #expect(texts.first?.hasPrefix("Turn 1.") == true)
    }

    @Test("drain cancels what cannot finish within the deadline")
    func drainDeadline() async throws {
        let channel = RecordingChannel()
        let assistant = ScriptedAssistant { _ in
            try await Task.sleep(for: .seconds(60))
            return AssistantReply(markdown: "late")
        }
        let pipeline = makePipeline(channel: channel, assistant: assistant, options: .init(assistantTimeout: .seconds(120)))
        try await pipeline.accept([EventFactory.text("x", from: "u1", id: "d1")])
        let finished = await pipeline.drain(deadline: .milliseconds(50))
        #expect(finished == false)
        await pipeline.waitUntilIdle()
        #expect(channel.sentTexts(to: "u1").isEmpty)
    }
}

/// Tracks how many tasks are inside a section at once, per key.
actor InFlightCounter {
    private var current: [String: Int] = [:]
    private(set) var maximum: [String: Int] = [:]
    func enter(_ key: String) {
        current[key, default: 0] += 1
        maximum[key] = max(maximum[key] ?? 0, current[key]!)
    }
    func leave(_ key: String) { current[key, default: 0] -= 1 }
}

/// Releases waiters once `count` have arrived.
actor Gate {
    private let count: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []
    init(count: Int) { self.count = count }
    func arriveAndWait() async {
        await withCheckedContinuation { continuation in
            waiting.append(continuation)
            if waiting.count == count {
                for waiter in waiting { waiter.resume() }
                waiting.removeAll()
            }
        }
    }
}
