import ChannelKit
import ChannelKitTesting
import ChannelPipeline
import Foundation
import Logging
import Synchronization
import Testing

/// Two pipelines on one store behave like one: a conversation's messages are answered once
/// each and in order whichever pipeline accepted them, and a worker whose lease was taken over
/// sends nothing.
@Suite("Pipeline leases")
struct PipelineLeaseTests {
    let logger = Logger(label: "lease-test") { _ in SwiftLogNoOpLogHandler() }

    /// Every send of every pipeline, in the order they happened.
    final class SendLog: Sendable {
        private let texts = Mutex<[String]>([])
        var all: [String] { texts.withLock { $0 } }
        func rule() -> @Sendable (OutboundMessage) -> ChannelError? {
            { message in
                self.texts.withLock { $0.append(message.text) }
                return nil
            }
        }
    }

    func pipeline(_ channel: RecordingChannel, store: InMemoryStore, worker: String, assistant: any Assistant = ScriptedAssistant.echo(),
                  lease: Duration = .seconds(60), now: @escaping @Sendable () -> Date = { Date() }) -> Pipeline {
        Pipeline(channels: [channel], store: store, identities: InMemoryIdentityDirectory(), assistant: assistant,
                 options: .init(retry: PipelineTests.fastRetry, lease: lease, workerID: worker, sharedStore: true,
                                claimPollInterval: .milliseconds(10)),
                 executor: TestThreads.replies, timers: TestThreads.timers, now: now, logger: logger)
    }

    @Test("one sender's 30 messages, each accepted by one of two pipelines at random: each answered once, in order")
    func orderAcrossPipelines() async throws {
        let store = InMemoryStore()
        let sends = SendLog()
        let channels = [RecordingChannel(), RecordingChannel()]
        for channel in channels {
            channel.refuseSends(sends.rule())
            channel.setSendDelay(.milliseconds(2))
        }
        let pipelines = [pipeline(channels[0], store: store, worker: "host-a"), pipeline(channels[1], store: store, worker: "host-b")]
        let base: Int64 = Int64(Date().timeIntervalSince1970 * 1000)
        var generator = SystemRandomNumberGenerator()
        for index in 0..<30 {
            let event = EventFactory.text("m\(index)", from: "u1", id: "o\(index)", at: base + Int64(index))
            try await pipelines[Int.random(in: 0...1, using: &generator)].accept([event])
        }
        for pipeline in pipelines {
            #expect(await pipeline.waitUntilIdle(timeout: .seconds(60)))
        }
        #expect(sends.all == (0..<30).map { "re: m\($0)" })
    }

    @Test("the worker that finishes a message takes up the conversation's next one, accepted elsewhere, at once")
    func finishingWorkerTakesUpTheNext() async throws {
        let store = InMemoryStore()
        let gate = AsyncGate()
        let channel = RecordingChannel()
        let busy = pipeline(channel, store: store, worker: "host-a", assistant: ScriptedAssistant { turn in
            await gate.wait()
            return AssistantReply(markdown: "re: \(turn.message.text)")
        })
        let base = Int64(Date().timeIntervalSince1970 * 1000)
        try await busy.accept([EventFactory.text("m1", from: "u1", id: "n1", at: base)])
        await gate.waitUntilWaiting()
        // Accepted by another host, which is not working it (busy, or gone): no rescan runs here.
        _ = await store.accept([EventFactory.text("m2", from: "u1", id: "n2", at: base + 1)], at: Date())
        gate.open()
        #expect(await busy.waitUntilIdle(timeout: .seconds(30)))
        #expect(channel.sentTexts(to: "u1") == ["re: m1", "re: m2"])
    }

    @Test("a message behind an earlier one nobody holds (its host stopped before working it) takes that one up first, without a rescan")
    func orphanedEarlierMessageIsTakenUp() async throws {
        let store = InMemoryStore()
        let channel = RecordingChannel()
        let host = pipeline(channel, store: store, worker: "host-b")
        let base = Int64(Date().timeIntervalSince1970 * 1000)
        _ = await store.accept([EventFactory.text("m1", from: "u1", id: "o1", at: base)], at: Date())
        try await host.accept([EventFactory.text("m2", from: "u1", id: "o2", at: base + 1)])
        #expect(await host.waitUntilIdle(timeout: .seconds(30)))
        #expect(channel.sentTexts(to: "u1") == ["re: m1", "re: m2"])
    }

    @Test("on a store of its own, a conversation's messages an operator retried all go after one rescan, in order")
    func retriedConversationGoesAfterOneRescan() async throws {
        let store = InMemoryStore()
        let channel = RecordingChannel()
        let host = Pipeline(channels: [channel], store: store, identities: InMemoryIdentityDirectory(), assistant: ScriptedAssistant.echo(),
                            options: .init(retry: PipelineTests.fastRetry), executor: TestThreads.replies, timers: TestThreads.timers, logger: logger)
        let base = Int64(Date().timeIntervalSince1970 * 1000)
        let items = await store.accept((1...3).map { EventFactory.text("m\($0)", from: "u1", id: "r\($0)", at: base + Int64($0)) }, at: Date())
        for item in items {
            _ = await store.claim(item.id, leaseUntil: Date().addingTimeInterval(60), at: Date())
            try await store.kill(item.id, reason: "refused", at: Date())
            _ = await store.retry(item.id, at: Date())
        }
        await host.rescan()
        #expect(await host.waitUntilIdle(timeout: .seconds(30)))
        #expect(channel.sentTexts(to: "u1") == ["re: m1", "re: m2", "re: m3"])
    }

    @Test("a worker stalled past its lease is taken over; when it wakes it sends nothing, and the message is answered once")
    func stalledWorkerIsFenced() async throws {
        let store = InMemoryStore()
        let gate = AsyncGate()
        let stalledChannel = RecordingChannel()
        let otherChannel = RecordingChannel()
        // The stalled host's clock stands still 10 s in the past: its lease, renewed or not,
        // ends long before the other host's now (as a host stopped by SIGSTOP would see it).
        let past = Date().addingTimeInterval(-10)
        let stalled = pipeline(stalledChannel, store: store, worker: "host-a",
                               assistant: ScriptedAssistant { turn in
                                   await gate.wait()
                                   return AssistantReply(markdown: "late: \(turn.message.text)")
                               },
                               lease: .milliseconds(300), now: { past })
        let other = pipeline(otherChannel, store: store, worker: "host-b")
        try await stalled.accept([EventFactory.text("hi", from: "u1", id: "s1", at: Int64(past.timeIntervalSince1970 * 1000))])
        await gate.waitUntilWaiting()
        await other.rescan()
        #expect(await other.waitUntilIdle(timeout: .seconds(30)))
        #expect(otherChannel.sentTexts(to: "u1") == ["re: hi"])
        gate.open()
        #expect(await stalled.waitUntilIdle(timeout: .seconds(30)))
        #expect(stalledChannel.calls.filter { $0.kind == .send }.isEmpty, "the stalled worker sent nothing")
        let item = try #require(await store.items(in: Set(InboxState.allCases), limit: 10).first)
        #expect(item.state == .done && item.leaseOwner == "host-b" && item.claimEpoch == 2)
        #expect(await store.parts(for: item.id).map(\.message.text) == ["re: hi"], "only the reply of the worker holding the lease")
    }
}

/// Holds callers until opened, and tells when one is waiting.
final class AsyncGate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>], arrived: [CheckedContinuation<Void, Never>], count: Int)>(
        (false, [], [], 0))

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                state.count += 1
                for arrival in state.arrived { arrival.resume() }
                state.arrived = []
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func waitUntilWaiting() async {
        await withCheckedContinuation { continuation in
            let already = state.withLock { state -> Bool in
                if state.count > 0 { return true }
                state.arrived.append(continuation)
                return false
            }
            if already { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
