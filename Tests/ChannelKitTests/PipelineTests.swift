import ChannelKit
import ChannelKitTesting
import ChannelPipeline
import Foundation
import Logging
import Synchronization
import Testing

@Suite("Pipeline")
struct PipelineTests {
    let logger = Logger(label: "test")

    static let fastRetry = RetryPolicy(attempts: 3, initialDelay: .milliseconds(1), maximumDelay: .milliseconds(5))

    func makePipeline(channel: RecordingChannel, assistant: any Assistant, store: any PipelineStore = InMemoryStore(),
                      options: Pipeline.Options = .init(retry: PipelineTests.fastRetry),
                      metrics: PipelineMetrics = .none, health: (any ChannelHealthObserver)? = nil) -> Pipeline {
        Pipeline(channels: [channel], store: store, identities: InMemoryIdentityDirectory(),
                 assistant: assistant, options: options, metrics: metrics, health: health,
                 executor: TestThreads.replies, timers: TestThreads.timers, logger: logger)
    }

    func item(_ store: any PipelineStore, _ platformID: String) async throws -> InboxItem? {
        try await store.items(in: Set(InboxState.allCases), limit: 10_000).first { $0.event.platformMessageID == platformID }
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

    @Test("a rescan queues what the store holds and the pipeline has not queued, once")
    func rescanQueuesWhatIsMissing() async throws {
        let channel = RecordingChannel()
        let store = InMemoryStore()
        let gate = Gate(count: 2)
        let assistant = ScriptedAssistant { turn in
            if turn.message.text == "a1" { await gate.arriveAndWait() }
            return AssistantReply(markdown: "re: \(turn.message.text)")
        }
        let pipeline = makePipeline(channel: channel, assistant: assistant, store: store)
        // a1 is held in the assistant, a2 waits behind it.
        try await pipeline.accept([EventFactory.text("a1", from: "u1", id: "a1", at: 1), EventFactory.text("a2", from: "u1", id: "a2", at: 2)])
        // Recorded behind the pipeline's back, as an operator's `sandra inbox retry` from another process is.
        _ = await store.accept([EventFactory.text("b1", from: "u2", id: "b1", at: 3)], at: Date())
        await pipeline.rescan()
        await pipeline.rescan()
        await gate.arriveAndWait()
        await pipeline.waitUntilIdle()
        #expect(channel.sentTexts(to: "u1") == ["re: a1", "re: a2"], "queued items are not queued again")
        #expect(channel.sentTexts(to: "u2") == ["re: b1"], "the missing item is answered once")
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
        let store: any PipelineStore = InMemoryStore()
        let pipeline = makePipeline(channel: channel, assistant: ScriptedAssistant.echo(), store: store)
        let result = try await pipeline.accept([EventFactory.ignored(.echo, from: "u1", id: "e1"), EventFactory.ignored(.read, from: "u1", id: "r1")])
        #expect(result.accepted == 2 && result.queued == 0)
        await pipeline.waitUntilIdle()
        #expect(channel.calls.isEmpty)
        #expect(try await item(store, "e1")?.state == .ignored)
    }

    @Test("an answer ready within the typing delay goes out without a typing indicator")
    func quickAnswerWithoutTyping() async throws {
        let channel = RecordingChannel()
        let pipeline = makePipeline(channel: channel, assistant: ScriptedAssistant.echo(),
                                    options: .init(typingDelay: .seconds(600), retry: Self.fastRetry))
        try await pipeline.accept([EventFactory.text("quick", from: "u1", id: "m-quick")])
        await pipeline.waitUntilIdle()
        #expect(channel.calls.map(\.kind) == [.send])
        #expect(channel.sentTexts(to: "u1") == ["re: quick"])
    }

    @Test("an answer slower than the typing delay gets the typing indicator first, once")
    func slowAnswerTypingFirst() async throws {
        let channel = RecordingChannel()
        // The assistant answers only once the indicator has been shown: it cannot come after the reply.
        let assistant = ScriptedAssistant { turn in
            await channel.waitForTyping()
            return AssistantReply(markdown: "re: \(turn.message.text)")
        }
        let pipeline = makePipeline(channel: channel, assistant: assistant,
                                    options: .init(typingDelay: .milliseconds(20), retry: Self.fastRetry))
        try await pipeline.accept([EventFactory.text("slow", from: "u1", id: "m-slow")])
        await pipeline.waitUntilIdle()
        #expect(channel.calls.map(\.kind) == [.typing, .send])
        #expect(channel.sentTexts(to: "u1") == ["re: slow"])
    }

    @Test("a typing delay of zero, or an acknowledgement that marks the message read, goes before every answer")
    func immediateAcknowledgement() async throws {
        let always = RecordingChannel()
        let first = makePipeline(channel: always, assistant: ScriptedAssistant.echo(), options: .init(typingDelay: .zero, retry: Self.fastRetry))
        try await first.accept([EventFactory.text("a", from: "u1", id: "m-a"), EventFactory.text("b", from: "u1", id: "m-b", at: 1_760_000_000_001)])
        await first.waitUntilIdle()
        #expect(always.calls.map(\.kind) == [.typing, .send, .typing, .send])

        let readReceipts = RecordingChannel(profile: ChannelProfile(
            formatting: .plain, textLimit: TextLimit(maximum: 1000, unit: .utf8Bytes), supportsTypingIndicator: true,
            acknowledgementMarksRead: true))
        let second = makePipeline(channel: readReceipts, assistant: ScriptedAssistant.echo(),
                                  options: .init(typingDelay: .seconds(600), retry: Self.fastRetry))
        try await second.accept([EventFactory.text("c", from: "u1", id: "m-c")])
        await second.waitUntilIdle()
        #expect(readReceipts.calls.map(\.kind) == [.typing, .send])
    }

    @Test("transient send failures are retried; the reply arrives once")
    func transientRetried() async throws {
        let channel = RecordingChannel()
        channel.failNextSends([.transient("503"), .transient("timeout")])
        let store: any PipelineStore = InMemoryStore()
        let pipeline = makePipeline(channel: channel, assistant: ScriptedAssistant.echo(), store: store)
        try await pipeline.accept([EventFactory.text("hi", from: "u1", id: "t1")])
        await pipeline.waitUntilIdle()
        #expect(channel.sentTexts(to: "u1") == ["re: hi"])
        #expect(channel.calls.filter { $0.kind == .send }.count == 3)
        #expect(try await item(store, "t1")?.state == .done)
    }

    @Test("permanent failures are not retried and are recorded")
    func permanentNotRetried() async throws {
        let channel = RecordingChannel()
        channel.failNextSends([.permanent("outside window", platformCode: 10, platformSubcode: 2534022)])
        let store: any PipelineStore = InMemoryStore()
        let pipeline = makePipeline(channel: channel, assistant: ScriptedAssistant.echo(), store: store)
        try await pipeline.accept([EventFactory.text("hi", from: "u1", id: "p1")])
        await pipeline.waitUntilIdle()
        #expect(channel.calls.filter { $0.kind == .send }.count == 1)
        let dead = try #require(try await item(store, "p1"))
        #expect(dead.state == .dead)
        #expect(dead.lastError?.contains("2534022") == true)
        #expect(try await store.parts(for: dead.id).first?.state == .failed)
    }

    @Test("with no retry window, an assistant failure or timeout gets the apology")
    func apology() async throws {
        let channel = RecordingChannel()
        struct Boom: Error {}
        let assistant = ScriptedAssistant { turn in
            if turn.message.text == "slow" { try await Task.sleep(for: .seconds(30)) }
            throw Boom()
        }
        let pipeline = makePipeline(channel: channel, assistant: assistant,
                                    options: .init(assistantTimeout: .milliseconds(50), apology: "Sorry!", assistantRetryWindow: .zero))
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

    @Test("transient failures beyond the in-process retries park the event; it is answered on a later attempt")
    func laterAttempt() async throws {
        let channel = RecordingChannel()
        // Three in-process attempts fail, so the first attempt of the event fails; the second succeeds.
        channel.failNextSends([.transient("503"), .transient("503"), .transient("503")])
        let store: any PipelineStore = InMemoryStore()
        let pipeline = makePipeline(channel: channel, assistant: ScriptedAssistant.echo(), store: store,
                                    options: .init(retry: RetryPolicy(attempts: 3, initialDelay: .milliseconds(1), maximumDelay: .milliseconds(2)),
                                                   maxAttempts: 3))
        try await pipeline.accept([EventFactory.text("hi", from: "u1", id: "l1"), EventFactory.text("next", from: "u1", id: "l2", at: 1_760_000_000_001)])
        await pipeline.waitUntilIdle()
        #expect(channel.sentTexts(to: "u1") == ["re: hi", "re: next"])
        let first = try #require(try await item(store, "l1"))
        #expect(first.state == .done)
        #expect(first.attempts == 1)
    }

    @Test("an event failing every attempt is dead and the conversation moves on")
    func deadAfterAttempts() async throws {
        let channel = RecordingChannel()
        channel.failNextSends(Array(repeating: .transient("503"), count: 4))
        let store: any PipelineStore = InMemoryStore()
        let pipeline = makePipeline(channel: channel, assistant: ScriptedAssistant.echo(), store: store,
                                    options: .init(retry: RetryPolicy(attempts: 2, initialDelay: .milliseconds(1), maximumDelay: .milliseconds(2)),
                                                   maxAttempts: 2))
        try await pipeline.accept([EventFactory.text("a", from: "u1", id: "x1"), EventFactory.text("b", from: "u1", id: "x2", at: 1_760_000_000_001)])
        await pipeline.waitUntilIdle()
        #expect(try await item(store, "x1")?.state == .dead)
        #expect(channel.sentTexts(to: "u1") == ["re: b"])
    }

    @Test("refused credentials pause the channel instead of burning retries, then it recovers")
    func unauthorizedPauses() async throws {
        let channel = RecordingChannel()
        channel.failNextSends([.unauthorized("bad token", platformCode: 190)])
        let store: any PipelineStore = InMemoryStore()
        let observer = RecordingObserver()
        let pipeline = makePipeline(channel: channel, assistant: ScriptedAssistant.echo(), store: store,
                                    options: .init(retry: PipelineTests.fastRetry, unauthorizedPause: .milliseconds(100)),
                                    health: observer)
        try await pipeline.accept([EventFactory.text("hi", from: "u1", id: "z1")])
        await pipeline.waitUntilIdle()
        #expect(channel.sentTexts(to: "u1") == ["re: hi"])
        #expect(channel.calls.filter { $0.kind == .send }.count == 2)   // one refused, one after the pause
        #expect(observer.unauthorized == ["test"])
        let answered = try #require(try await item(store, "z1"))
        #expect(answered.state == .done)
        #expect(answered.attempts == 0)   // the pause did not count as an attempt
    }

    @Test("credentials refused just before an operator replaces the channel: the reply goes out through the new one at once, no pause")
    func refusalRacingAReplacement() async throws {
        let old = RecordingChannel()
        old.failNextSends([.unauthorized("bad token", platformCode: 190)])
        let new = RecordingChannel()
        let store: any PipelineStore = InMemoryStore()
        let slot = PipelineSlot()
        // The save lands after the refusal paused the channel and before the reply waits for it:
        // the reply's thread is held (milliseconds) while the save runs on the global executor.
        let observer = CallbackObserver {
            let replaced = DispatchSemaphore(value: 0)
            Task(executorPreference: globalConcurrentExecutor) {
                await slot.pipeline?.replaceChannel(new)
                replaced.signal()
            }
            replaced.wait()
        }
        let pipeline = makePipeline(channel: old, assistant: ScriptedAssistant.echo(), store: store,
                                    options: .init(retry: PipelineTests.fastRetry, unauthorizedPause: .seconds(600)),
                                    health: observer)
        slot.pipeline = pipeline
        try await pipeline.accept([EventFactory.text("hi", from: "u1", id: "race1")])
        #expect(await pipeline.waitUntilIdle(timeout: .seconds(20)), "the reply waited for the old channel's pause")
        #expect(new.sentTexts(to: "u1") == ["re: hi"])
        #expect(old.sentTexts(to: "u1").isEmpty)
        #expect(try await item(store, "race1")?.state == .done)
        // The new channel is not paused: the next message goes at once too.
        try await pipeline.accept([EventFactory.text("again", from: "u2", id: "race2")])
        #expect(await pipeline.waitUntilIdle(timeout: .seconds(20)))
        #expect(new.sentTexts(to: "u2") == ["re: again"])
    }

    @Test("a reply recorded before a crash is resumed: sent parts are not sent again, the assistant is not asked again")
    func resumeAfterCrash() async throws {
        let store: any PipelineStore = InMemoryStore()
        let clock = Date()
        let event = EventFactory.text("question", from: "u1", id: "r1", at: Int64(clock.timeIntervalSince1970 * 1000))
        // An earlier run accepted the event, claimed it, recorded a two-part reply and sent the first part.
        let accepted = try await store.accept([event], at: clock)
        let id = try #require(accepted.first?.id)
        _ = try await store.claim(id, leaseUntil: clock.addingTimeInterval(300), at: clock)
        let parts = try await store.recordReply(for: id, parts: [OutboundMessage(text: "part one"), OutboundMessage(text: "part two")],
                                                conversation: event.conversation, turns: [], at: clock)
        try await store.markSent(parts[0].id, platformMessageID: "mid.1", at: clock)

        let channel = RecordingChannel()
        let assistant = ScriptedAssistant.echo()
        let pipeline = makePipeline(channel: channel, assistant: assistant, store: store)
        let recovery = try await pipeline.start()
        #expect(recovery.released == 1 && recovery.resumed == 1)
        await pipeline.waitUntilIdle()
        #expect(channel.sentTexts(to: "u1") == ["part two"])
        #expect(assistant.turns.isEmpty)
        #expect(try await store.item(id)?.state == .done)
    }

    @Test("at start, messages older than the maximum age are expired, not answered")
    func expiresOldMessages() async throws {
        let store: any PipelineStore = InMemoryStore()
        let now = Date()
        let old = EventFactory.text("old", from: "u1", id: "o1", at: Int64((now.timeIntervalSince1970 - 7200) * 1000))
        let fresh = EventFactory.text("fresh", from: "u2", id: "o2", at: Int64((now.timeIntervalSince1970 - 60) * 1000))
        _ = try await store.accept([old, fresh], at: now)
        let channel = RecordingChannel()
        let pipeline = makePipeline(channel: channel, assistant: ScriptedAssistant.echo(), store: store,
                                    options: .init(retry: PipelineTests.fastRetry, maxMessageAge: .seconds(3600)))
        let recovery = try await pipeline.start()
        #expect(recovery.expired == 1)
        await pipeline.waitUntilIdle()
        #expect(channel.sentTexts(to: "u1").isEmpty)
        #expect(channel.sentTexts(to: "u2") == ["re: fresh"])
        #expect(try await item(store, "o1")?.state == .expired)
    }
}

/// Calls back when the pipeline reports refused credentials.
final class CallbackObserver: ChannelHealthObserver, Sendable {
    private let onUnauthorized: @Sendable () -> Void
    init(onUnauthorized: @escaping @Sendable () -> Void) { self.onUnauthorized = onUnauthorized }
    func credentialsRefused(channel: String, error: ChannelError) { onUnauthorized() }
    func sendFailed(channel: String, error: ChannelError) {}
    func delivered(channel: String) {}
}

/// A pipeline made after the observer that needs it.
final class PipelineSlot: Sendable {
    private let slot = Mutex<Pipeline?>(nil)
    var pipeline: Pipeline? {
        get { slot.withLock { $0 } }
        set { slot.withLock { $0 = newValue } }
    }
}

/// Records what the pipeline reports.
final class RecordingObserver: ChannelHealthObserver, Sendable {
    private let state = Mutex<[String]>([])
    var unauthorized: [String] { state.withLock { $0 } }
    func credentialsRefused(channel: String, error: ChannelError) { state.withLock { $0.append(channel) } }
    func sendFailed(channel: String, error: ChannelError) {}
    func delivered(channel: String) {}
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
