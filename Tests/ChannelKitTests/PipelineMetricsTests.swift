import ChannelKit
import ChannelKitTesting
import ChannelPipeline
import Foundation
import Logging
import MetricsTestKit
import Testing

/// The pipeline counts through swift-metrics under the names and dimensions the host has
/// always exposed on `/metrics`.
@Suite("Pipeline metrics")
struct PipelineMetricsTests {
    let logger = Logger(label: "test")

    struct Broken: Error {}

    func makePipeline(channel: RecordingChannel, assistant: any Assistant, factory: TestMetrics,
                      preparer: (any MessagePreparer)? = nil, now: @escaping @Sendable () -> Date = { Date() }) -> Pipeline {
        Pipeline(channels: [channel], store: InMemoryStore(), identities: InMemoryIdentityDirectory(), assistant: assistant,
                 preparer: preparer, options: .init(retry: PipelineTests.fastRetry),
                 metrics: PipelineMetrics(channels: ["test"], factory: factory),
                 executor: TestThreads.replies, timers: TestThreads.timers, now: now, logger: logger)
    }

    func count(_ factory: TestMetrics, _ label: String, _ dimensions: [(String, String)]) throws -> Int64 {
        try factory.expectCounter(label, [("channel", "test")] + dimensions).totalValue
    }

    @Test("accepted, duplicate and standby events, delivered replies and their parts, retried sends")
    func deliveries() async throws {
        let factory = TestMetrics()
        let channel = RecordingChannel()
        channel.failNextSends([.transient("busy")])
        let pipeline = makePipeline(channel: channel, assistant: ScriptedAssistant.echo(), factory: factory)
        try await pipeline.accept([EventFactory.text("one", from: "u1", id: "m1"), EventFactory.text("two", from: "u2", id: "m2")])
        try await pipeline.accept([EventFactory.text("one", from: "u1", id: "m1")])
        // A standby copy (another app owns the thread) is neither a new message nor a duplicate.
        try await pipeline.accept([EventFactory.ignored(.standby, from: "u3", id: "standby:m3")])
        #expect(await pipeline.waitUntilIdle(timeout: .seconds(20)))
        #expect(try count(factory, "sandra_webhook_events_total", [("result", "accepted")]) == 2)
        #expect(try count(factory, "sandra_webhook_events_total", [("result", "duplicate")]) == 1)
        #expect(try count(factory, "sandra_webhook_events_total", [("result", "standby")]) == 1)
        #expect(try count(factory, "sandra_replies_total", [("result", "delivered")]) == 2)
        #expect(try count(factory, "sandra_reply_parts_sent_total", []) == 2)
        #expect(try count(factory, "sandra_send_retries_total", []) == 1)
        #expect(try count(factory, "sandra_assistant_failures_total", []) == 0)
        // Every failure result exists from the start, at zero.
        for code in ChannelError.Code.allCases {
            #expect(try count(factory, "sandra_replies_total", [("result", code.rawValue)]) == 0)
        }
    }

    @Test("a refused reply counts under its error code; a failed assistant counts once")
    func failures() async throws {
        let factory = TestMetrics()
        let channel = RecordingChannel()
        channel.failNextSends([.permanent("refused", platformCode: 100)])
        let pipeline = makePipeline(channel: channel, assistant: ScriptedAssistant { _ in throw Broken() }, factory: factory)
        try await pipeline.accept([EventFactory.text("hi", from: "u1", id: "f1")])
        #expect(await pipeline.waitUntilIdle(timeout: .seconds(20)))
        #expect(try count(factory, "sandra_assistant_failures_total", []) == 1)
        #expect(try count(factory, "sandra_replies_total", [("result", "permanent")]) == 1)
        #expect(try count(factory, "sandra_replies_total", [("result", "delivered")]) == 0)
    }

    @Test("events of a channel not named at start-up are not counted")
    func unknownChannel() async throws {
        let factory = TestMetrics()
        let channel = RecordingChannel(name: "other")
        let pipeline = makePipeline(channel: channel, assistant: ScriptedAssistant.echo(), factory: factory)
        try await pipeline.accept([EventFactory.text("hi", from: "u1", id: "o1", channel: "other")])
        #expect(await pipeline.waitUntilIdle(timeout: .seconds(20)))
        #expect(factory.counters(label: "sandra_webhook_events_total", dimensions: [("channel", "other"), ("result", "accepted")]).isEmpty)
    }
}
