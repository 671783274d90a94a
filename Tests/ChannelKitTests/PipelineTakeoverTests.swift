import ChannelKitTesting
import Foundation
import Logging
import Testing
@testable import ChannelKit
@testable import ChannelPipeline

/// A host taking over the conversations of a host that stopped: through its rescan, even where
/// a later message of the conversation already waits on it.
@Suite("Pipeline: taking over a stopped host's conversations")
struct PipelineTakeoverTests {
    let logger = Logger(label: "takeover-test") { _ in SwiftLogNoOpLogHandler() }

    @Test("a message waiting on one pipeline behind another pipeline's stalled one: once that lease lapses, a rescan takes the earlier one over at once, and both are answered in order")
    func rescanGoesAheadOfAWaitingMessage() async throws {
        let store = InMemoryStore()
        let gate = AsyncGate()
        let stalledChannel = RecordingChannel()
        let otherChannel = RecordingChannel()
        // The stalled host's clock stands 10 s in the past: its lease of 300 ms has lapsed for the other.
        let past = Date().addingTimeInterval(-10)
        let stalled = Pipeline(channels: [stalledChannel], store: store, identities: InMemoryIdentityDirectory(),
                               assistant: ScriptedAssistant { turn in
                                   await gate.wait()
                                   return AssistantReply(markdown: "late: \(turn.message.text)")
                               },
                               options: .init(retry: PipelineTests.fastRetry, lease: .milliseconds(300), workerID: "host-a", sharedStore: true),
                               executor: TestThreads.replies, timers: TestThreads.timers, now: { past }, logger: logger)
        // A waiting message asks again only every minute: the takeover must not wait for that.
        let other = Pipeline(channels: [otherChannel], store: store, identities: InMemoryIdentityDirectory(),
                             assistant: ScriptedAssistant.echo(),
                             options: .init(retry: PipelineTests.fastRetry, workerID: "host-b", sharedStore: true,
                                            claimPollInterval: .seconds(60)),
                             executor: TestThreads.replies, timers: TestThreads.timers, logger: logger)
        let sent = Int64(past.timeIntervalSince1970 * 1000)
        try await stalled.accept([EventFactory.text("first", from: "u1", id: "t1", at: sent)])
        await gate.waitUntilWaiting()
        try await other.accept([EventFactory.text("second", from: "u1", id: "t2", at: sent + 1)])
        // The second message asked and found the first held: it waits to ask again, or (the
        // first's lease having lapsed already) took the first over itself.
        let deadline = ContinuousClock.now + .seconds(30)
        while await other.dispatcher.parkedItemIDs(channel: "test").isEmpty, otherChannel.sentTexts(to: "u1").count < 2 {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(10))
        }

        await other.rescan()
        #expect(await other.waitUntilIdle(timeout: .seconds(30)), "the conversation went on after the rescan")
        #expect(otherChannel.sentTexts(to: "u1") == ["re: first", "re: second"])
        gate.open()
        #expect(await stalled.waitUntilIdle(timeout: .seconds(30)))
        #expect(stalledChannel.calls.filter { $0.kind == .send }.isEmpty, "the stalled worker sent nothing")
    }
}
