import ChannelKit
import ChannelKitTesting
import ChannelPipeline
import Logging
import MetricsTestKit
import Synchronization
import Testing

/// The pipeline's histograms and call errors: end-to-end reply time, assistant calls and
/// platform calls, each per channel, the errors by their bounded codes.
@Suite("Pipeline timing metrics")
struct PipelineTimingMetricsTests {
    /// The pipeline and counters of the counters' tests.
    let counters = PipelineMetricsTests()

    func makePipeline(channel: RecordingChannel, assistant: any Assistant, factory: TestMetrics, clock: TestClock,
                      preparer: (any MessagePreparer)? = nil) -> Pipeline {
        counters.makePipeline(channel: channel, assistant: assistant, factory: factory, preparer: preparer, now: clock.now)
    }

    /// Asks the channel where each attachment's media is, as the media step does.
    final class LocatingPreparer: MessagePreparer {
        let located = Mutex<[String]>([])

        func prepare(_ message: UserMessage, of event: InboundEvent, channel: any Channel, logger: Logger) async -> MessagePreparation {
            for attachment in message.attachments {
                _ = try? await channel.mediaSource(for: attachment, logger: logger)
                located.withLock { $0.append(attachment.platformType) }
            }
            return MessagePreparation(message: message)
        }
    }

    func timer(_ factory: TestMetrics, _ label: String, _ dimensions: [(String, String)] = []) throws -> TestTimer {
        try factory.expectTimer(label, [("channel", "test")] + dimensions)
    }

    func count(_ factory: TestMetrics, _ label: String, _ dimensions: [(String, String)]) throws -> Int64 {
        try counters.count(factory, label, dimensions)
    }

    @Test("the reply's time runs from the message's acceptance to its last part sent; each send attempt and its failure are counted")
    func replyAndSends() async throws {
        let factory = TestMetrics()
        let clock = TestClock()
        let channel = RecordingChannel()
        channel.failNextSends([.transient("busy")])
        // The assistant takes 7 s on the pipeline's clock: the reply is delivered 7 s after acceptance.
        let assistant = ScriptedAssistant { _ in
            clock.advance(by: 7)
            return AssistantReply(markdown: "ok")
        }
        let pipeline = makePipeline(channel: channel, assistant: assistant, factory: factory, clock: clock)
        try await pipeline.accept([EventFactory.text("one", from: "u1", id: "m1")])
        #expect(await pipeline.waitUntilIdle(timeout: .seconds(20)))

        #expect(try timer(factory, "sandra_reply_seconds").values == [7_000_000_000])
        #expect(try timer(factory, "sandra_assistant_seconds").values.count == 1)
        // The first attempt failed (transient), the second went through: two timed calls, one error.
        #expect(try timer(factory, "sandra_platform_request_seconds", [("operation", "send")]).values.count == 2)
        #expect(try count(factory, "sandra_platform_errors_total", [("code", "transient")]) == 1)
        for code in ChannelError.Code.allCases where code != .transient {
            #expect(try count(factory, "sandra_platform_errors_total", [("code", code.rawValue)]) == 0, "\(code) listed at zero")
        }
        for code in AssistantError.Code.allCases {
            #expect(try count(factory, "sandra_assistant_errors_total", [("code", code.rawValue)]) == 0, "\(code) listed at zero")
        }
    }

    @Test("a failed assistant call is timed and counted by its code; a refused send by the channel's code, with no reply time")
    func failures() async throws {
        let factory = TestMetrics()
        let channel = RecordingChannel()
        channel.failNextSends([.permanent("refused", platformCode: 100)])
        let assistant = ScriptedAssistant { _ in throw AssistantError(.malformed, "no choices") }
        let pipeline = makePipeline(channel: channel, assistant: assistant, factory: factory, clock: TestClock())
        try await pipeline.accept([EventFactory.text("hi", from: "u1", id: "f1")])
        #expect(await pipeline.waitUntilIdle(timeout: .seconds(20)))
        #expect(try count(factory, "sandra_assistant_errors_total", [("code", "malformed")]) == 1)
        #expect(try timer(factory, "sandra_assistant_seconds").values.count == 1)
        #expect(try count(factory, "sandra_platform_errors_total", [("code", "permanent")]) == 1)
        #expect(try timer(factory, "sandra_reply_seconds").values.isEmpty, "a reply not delivered has no reply time")
    }

    @Test("locating an attachment by its media id is a timed platform call; one that came with its URL is not")
    func mediaLookups() async throws {
        let factory = TestMetrics()
        let preparer = LocatingPreparer()
        let pipeline = makePipeline(channel: RecordingChannel(), assistant: ScriptedAssistant.echo(), factory: factory,
                                    clock: TestClock(), preparer: preparer)
        let byID = Attachment(kind: .image, platformType: "image", mediaID: "1234567890")
        let byURL = Attachment(kind: .image, platformType: "ig_image", url: "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1")
        try await pipeline.accept([EventFactory.media([byID, byURL], from: "u1", id: "media.1")])
        #expect(await pipeline.waitUntilIdle(timeout: .seconds(20)))
        #expect(preparer.located.withLock { $0 } == ["image", "ig_image"], "the media step still locates every attachment")
        #expect(try timer(factory, "sandra_platform_request_seconds", [("operation", "media")]).values.count == 1)
    }

    @Test("an assistant error of another type counts as refused")
    func otherAssistantError() async throws {
        struct Broken: Error {}
        let factory = TestMetrics()
        let pipeline = makePipeline(channel: RecordingChannel(), assistant: ScriptedAssistant { _ in throw Broken() },
                                    factory: factory, clock: TestClock())
        try await pipeline.accept([EventFactory.text("hi", from: "u1", id: "b1")])
        #expect(await pipeline.waitUntilIdle(timeout: .seconds(20)))
        #expect(try count(factory, "sandra_assistant_errors_total", [("code", "refused")]) == 1)
        #expect(try count(factory, "sandra_assistant_errors_total", [("code", "unavailable")]) == 0)
    }
}
