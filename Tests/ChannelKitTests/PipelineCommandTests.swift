import ChannelIdentity
import ChannelKit
import ChannelKitTesting
import ChannelPipeline
import Foundation
import Logging
import Testing

/// The pipeline's command hook, identity linking through the pipeline, and shared history.
@Suite("Pipeline commands and profiles")
struct PipelineCommandTests {
    let logger = Logger(label: "test")

    /// Answers `/ping` with Markdown and too many, too long buttons; passes everything else.
    struct PingHandler: CommandHandler {
        func handle(_ request: CommandRequest, logger: Logger) async throws -> CommandOutcome {
            guard request.message.text == "/ping" else { return .pass }
            let buttons = (1...15).map { QuickReply(title: "Button number \($0) with a long title", payload: "B\($0)") }
            return .reply(AssistantReply(markdown: "**pong** from [the docs](https://example.com/ping)", quickReplies: buttons))
        }
    }

    @Test("a command's reply is rendered and sent like the assistant's; the assistant is not asked and history is not kept")
    func commandReply() async throws {
        let channel = RecordingChannel()
        let store: any PipelineStore & IdentityStore & SharedStateStore = InMemoryStore()
        let assistant = ScriptedAssistant.echo()
        let pipeline = Pipeline(channels: [channel], store: store, identities: store, assistant: assistant,
                                commands: [PingHandler()], executor: TestThreads.replies, timers: TestThreads.timers, logger: logger)
        try await pipeline.accept([EventFactory.text("/ping", from: "u1", id: "p1", at: 1_000)])
        await pipeline.waitUntilIdle()
        #expect(channel.sentTexts(to: "u1") == ["pong from the docs (https://example.com/ping)"], "rendered for the plain-text channel")
        let sent = try #require(channel.calls.last { $0.kind == .send }?.message)
        #expect(sent.quickReplies.count == 13 && sent.quickReplies.allSatisfy { $0.title.count <= 20 }, "within the channel's limits")
        #expect(assistant.turns.isEmpty, "the assistant was not asked")
        let conversation = ConversationKey(channel: "test", accountID: "acct", userID: "u1")
        #expect(try await store.history(of: conversation, limit: 10).isEmpty, "commands are not added to the history")
        let item = try #require(try await store.items(in: Set(InboxState.allCases), limit: 10).first)
        #expect(item.state == .done)
        #expect(try await store.parts(for: item.id).map(\.state) == [.sent], "recorded in the outbox and marked sent")

        try await pipeline.accept([EventFactory.text("hello", from: "u1", id: "p2", at: 2_000)])
        await pipeline.waitUntilIdle()
        #expect(channel.sentTexts(to: "u1").last == "re: hello")
        #expect(assistant.turns.count == 1 && assistant.turns.first?.history.isEmpty == true)
        #expect(try await store.history(of: conversation, limit: 10).map(\.text) == ["hello", "re: hello"])
    }

    @Test("linking through the pipeline: the next assistant turn carries the profile")
    func linkThroughPipeline() async throws {
        let channel = RecordingChannel(name: "instagram")
        let store: any PipelineStore & IdentityStore & SharedStateStore = InMemoryStore()
        let mailer = RecordingMailer()
        let assistant = ScriptedAssistant { turn in
            AssistantReply(markdown: "profile: \(turn.profile?.email ?? "none")")
        }
        let flow = IdentityLinkFlow(store: store, mailer: mailer)
        let pipeline = Pipeline(channels: [channel], store: store, identities: store, assistant: assistant,
                                commands: [flow], executor: TestThreads.replies, timers: TestThreads.timers, logger: logger)
        try await pipeline.accept([EventFactory.text("hi", from: "u1", id: "l0", channel: "instagram", at: 1_000)])
        try await pipeline.accept([EventFactory.text("/link u1@example.com", from: "u1", id: "l1", channel: "instagram", at: 2_000)])
        await pipeline.waitUntilIdle()
        let code = try #require(RecordingMailer.code(in: mailer.sent.last))
        try await pipeline.accept([EventFactory.text(code, from: "u1", id: "l2", channel: "instagram", at: 3_000)])
        try await pipeline.accept([EventFactory.text("hi again", from: "u1", id: "l3", channel: "instagram", at: 4_000)])
        await pipeline.waitUntilIdle()
        let texts = channel.sentTexts(to: "u1")
        #expect(texts.count == 4)
        #expect(texts[0] == "profile: none")
        #expect(texts[1].contains("u***@example.com") && texts[2].hasPrefix("Linked!"))
        #expect(texts[3] == "profile: u1@example.com")
        #expect(assistant.turns.last?.history.map(\.text) == ["hi", "profile: none"], "the linking exchange is not in the history")
    }

    @Test("shared history follows a linked person across channels when enabled")
    func sharedHistory() async throws {
        for shared in [true, false] {
            let instagram = RecordingChannel(name: "instagram")
            let whatsapp = RecordingChannel(name: "whatsapp")
            let store: any PipelineStore & IdentityStore & SharedStateStore = InMemoryStore()
            let assistant = ScriptedAssistant.echo()
            let pipeline = Pipeline(channels: [instagram, whatsapp], store: store, identities: store, assistant: assistant,
                                    options: .init(sharedHistory: shared), executor: TestThreads.replies, timers: TestThreads.timers, logger: logger)
            _ = try await store.link(ChannelIdentity(channel: "instagram", userID: "ig-1"), toVerifiedEmail: "p@example.com", at: Date())
            _ = try await store.link(ChannelIdentity(channel: "whatsapp", userID: "wa-1"), toVerifiedEmail: "p@example.com", at: Date())
            try await pipeline.accept([EventFactory.text("from instagram", from: "ig-1", id: "s1", channel: "instagram", at: 1_000)])
            await pipeline.waitUntilIdle()
            try await pipeline.accept([EventFactory.text("from a stranger", from: "ig-2", id: "s2", channel: "instagram", at: 1_500)])
            await pipeline.waitUntilIdle()
            try await pipeline.accept([EventFactory.text("from whatsapp", from: "wa-1", id: "s3", channel: "whatsapp", at: 2_000)])
            await pipeline.waitUntilIdle()
            let seen = try #require(assistant.turns.last { $0.conversation.channel == "whatsapp" })
            #expect(seen.profile?.email == "p@example.com")
            if shared {
                #expect(seen.history.map(\.text) == ["from instagram", "re: from instagram"], "the person's other channel, nobody else's")
            } else {
                #expect(seen.history.isEmpty, "without shared history each conversation stands alone")
            }
        }
    }
}
