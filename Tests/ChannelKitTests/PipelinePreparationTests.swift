import ChannelKit
import ChannelKitTesting
import ChannelMedia
import ChannelPipeline
import Foundation
import Logging
import Synchronization
import Testing

/// A preparer scripted per message text; it can hold a message until released.
private final class ScriptedPreparer: MessagePreparer, Sendable {
    private let script: @Sendable (UserMessage) async -> MessagePreparation
    private let order = Mutex<[String]>([])

    init(_ script: @escaping @Sendable (UserMessage) async -> MessagePreparation) {
        self.script = script
    }

    func prepare(_ message: UserMessage, of event: InboundEvent, channel: any Channel, logger: Logger) async -> MessagePreparation {
        order.withLock { $0.append(event.platformMessageID) }
        return await script(message)
    }

    var prepared: [String] { order.withLock { $0 } }
}

/// Opens once; waiters before that suspend.
private actor Latch {
    private var open = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    func wait() async {
        if open { return }
        await withCheckedContinuation { waiters.append($0) }
    }
    func release() {
        open = true
        for waiter in waiters { waiter.resume() }
        waiters = []
    }
    var waiting: Int { waiters.count }
}

@Suite("Pipeline: preparation before the assistant")
struct PipelinePreparationTests {
    let logger = Logger(label: "test")

    func pipeline(_ channel: RecordingChannel, _ assistant: ScriptedAssistant, _ preparer: any MessagePreparer,
                  store: any PipelineStore = InMemoryStore()) -> Pipeline {
        Pipeline(channels: [channel], store: store, identities: InMemoryIdentityDirectory(), assistant: assistant,
                 preparer: preparer, options: .init(retry: PipelineTests.fastRetry), executor: TestThreads.replies, timers: TestThreads.timers, logger: logger)
    }

    @Test("the transcript is ready before the assistant runs, and the sender's next message waits for it")
    func nextMessageWaits() async throws {
        let latch = Latch()
        let preparer = ScriptedPreparer { message in
            var message = message
            if message.text == "voice" {
                await latch.wait()
                message.text = ""
                message.transcript = "what time do you open"
            }
            return MessagePreparation(message: message)
        }
        let channel = RecordingChannel()
        let assistant = ScriptedAssistant { turn in
            AssistantReply(markdown: "re: \(turn.message.transcript ?? turn.message.text) after \(turn.history.count)")
        }
        let pipeline = pipeline(channel, assistant, preparer)
        try await pipeline.accept([
            EventFactory.text("voice", from: "u1", id: "v1", at: 1_760_000_000_000),
            EventFactory.text("and on sundays?", from: "u1", id: "v2", at: 1_760_000_000_001),
        ])
        // The voice message is being prepared; the next one must not start meanwhile.
        while await latch.waiting == 0 { await Task.yield() }
        #expect(preparer.prepared == ["v1"])
        #expect(assistant.turns.isEmpty)
        await latch.release()
        await pipeline.waitUntilIdle()
        #expect(preparer.prepared == ["v1", "v2"])
        #expect(channel.sentTexts(to: "u1") == ["re: what time do you open after 0", "re: and on sundays? after 2"])
        let history = try #require(assistant.turns.last?.history)
        #expect(history.first?.text == "[voice message, transcribed] what time do you open")
    }

    @Test("a direct reply is sent without asking the assistant and is kept in the history")
    func directReply() async throws {
        let preparer = ScriptedPreparer { message in
            var noted = message
            noted.mediaNotes = ["[voice message not transcribed]"]
            return MessagePreparation(message: noted, directReply: AssistantReply(markdown: "Could you **type** it?"))
        }
        let channel = RecordingChannel()
        let assistant = ScriptedAssistant.echo()
        let store = InMemoryStore()
        let pipeline = pipeline(channel, assistant, preparer, store: store)
        try await pipeline.accept([EventFactory.text("", from: "u1", id: "d1")])
        await pipeline.waitUntilIdle()
        #expect(assistant.turns.isEmpty)
        #expect(channel.sentTexts(to: "u1") == ["Could you type it?"])
        let history = await store.history(of: ConversationKey(channel: "test", accountID: "acct", userID: "u1"), limit: 10)
        #expect(history.map(\.text) == ["[voice message not transcribed]", "Could you **type** it?"])
    }

    @Test("a notice comes before the assistant's answer")
    func notice() async throws {
        let preparer = ScriptedPreparer { MessagePreparation(message: $0, notice: "One photo had expired.") }
        let channel = RecordingChannel()
        let pipeline = pipeline(channel, ScriptedAssistant.echo(), preparer)
        try await pipeline.accept([EventFactory.text("and this one?", from: "u1", id: "n1")])
        await pipeline.waitUntilIdle()
        #expect(channel.sentTexts(to: "u1") == ["One photo had expired.\n\nre: and this one?"])
    }

    @Test("the images reach the assistant; the history keeps a note, never the bytes")
    func imagesReachTheAssistant() async throws {
        let png = MediaFixtures.png()
        let preparer = ScriptedPreparer { message in
            var message = message
            message.images = [ImageContent(MediaData(bytes: png, format: .png))]
            return MessagePreparation(message: message)
        }
        let channel = RecordingChannel()
        let assistant = ScriptedAssistant { AssistantReply(markdown: "\($0.message.images.count) image") }
        let store = InMemoryStore()
        let pipeline = pipeline(channel, assistant, preparer, store: store)
        try await pipeline.accept([EventFactory.text("see", from: "u1", id: "i1")])
        await pipeline.waitUntilIdle()
        #expect(assistant.turns.first?.message.images.first?.bytes == png)
        let history = await store.history(of: ConversationKey(channel: "test", accountID: "acct", userID: "u1"), limit: 10)
        #expect(history.first?.text == "see\n[image: image/png, 3×2, \(png.count) bytes]")
    }
}
