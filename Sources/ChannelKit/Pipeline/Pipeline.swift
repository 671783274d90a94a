import Foundation
import Logging

/// The shared way every channel's events go: record and deduplicate, then one at a time per
/// conversation, in order → assistant → render for the channel → send with retries.
///
/// ```swift
/// let pipeline = Pipeline(channels: [instagram], inbox: store, conversations: store,
///                         identities: directory, assistant: assistant, logger: logger)
/// // in the webhook handler, after the channel verified and parsed the request:
/// try await pipeline.accept(events)      // then answer 200; replies happen afterwards
/// ```
public final class Pipeline: Sendable {
    /// Tunables.
    public struct Options: Sendable {
        /// Conversations processed at the same time.
        public var maxConcurrentConversations: Int
        /// Earlier turns the assistant sees.
        public var historyTurns: Int
        /// How long the assistant may take before the person gets the apology.
        public var assistantTimeout: Duration
        /// Retries of transient send failures.
        public var retry: RetryPolicy
        /// What the person gets when the assistant fails, in Markdown.
        public var apology: String

        /// Creates options.
        public init(maxConcurrentConversations: Int = 64, historyTurns: Int = 20, assistantTimeout: Duration = .seconds(30),
                    retry: RetryPolicy = RetryPolicy(),
                    apology: String = "Sorry, I couldn't answer that just now. Please try again in a moment.") {
            self.maxConcurrentConversations = max(1, maxConcurrentConversations)
            self.historyTurns = max(0, historyTurns)
            self.assistantTimeout = assistantTimeout
            self.retry = retry
            self.apology = apology
        }
    }

    /// What ``accept(_:)`` did.
    public struct Acceptance: Sendable, Hashable {
        /// Events in the delivery.
        public var received: Int
        /// Events that were new.
        public var accepted: Int
        /// New events that will be answered.
        public var queued: Int
    }

    private let channels: [String: any Channel]
    private let inbox: any InboxStore
    private let conversations: any ConversationStore
    private let identities: any IdentityDirectory
    private let assistant: any Assistant
    private let renderer: MarkdownRenderer
    private let options: Options
    private let observer: any PipelineObserver
    private let logger: Logger
    private let dispatcher: ConversationDispatcher

    /// Creates a pipeline.
    public init(channels: [any Channel], inbox: any InboxStore, conversations: any ConversationStore,
                identities: any IdentityDirectory, assistant: any Assistant, renderer: MarkdownRenderer = MarkdownRenderer(),
                options: Options = Options(), observer: any PipelineObserver = NoPipelineObserver(), logger: Logger) {
        var byName: [String: any Channel] = [:]
        for channel in channels { byName[channel.name] = channel }
        self.channels = byName
        self.inbox = inbox
        self.conversations = conversations
        self.identities = identities
        self.assistant = assistant
        self.renderer = renderer
        self.options = options
        self.observer = observer
        self.logger = logger
        let box = WeakPipeline()
        self.dispatcher = ConversationDispatcher(limit: options.maxConcurrentConversations) { event in
            await box.pipeline?.process(event)
        }
        box.pipeline = self
    }

    /// Records a verified delivery's events and queues the new, answerable ones.
    ///
    /// Returns once the events are recorded; the replies happen afterwards.
    /// - Throws: the store's error; the caller must then not acknowledge the delivery.
    @discardableResult
    public func accept(_ events: [InboundEvent]) async throws -> Acceptance {
        guard !events.isEmpty else { return Acceptance(received: 0, accepted: 0, queued: 0) }
        let fresh = try await inbox.accept(events)
        var answerable: [InboundEvent] = []
        for event in fresh {
            if event.isAnswerable && channels[event.channel] != nil {
                answerable.append(event)
            } else {
                try? await inbox.complete(event, outcome: .ignored)
            }
        }
        for (channel, group) in Dictionary(grouping: events, by: \.channel) {
            observer.eventsAccepted(channel: channel, received: group.count, accepted: fresh.filter { $0.channel == channel }.count)
        }
        await dispatcher.enqueue(answerable)
        return Acceptance(received: events.count, accepted: fresh.count, queued: answerable.count)
    }

    /// Events waiting or being answered.
    public var backlog: Int {
        get async { await dispatcher.backlog }
    }

    /// Returns once every queued event has been answered.
    public func waitUntilIdle() async {
        await dispatcher.waitUntilIdle()
    }

    /// Lets queued and in-flight replies finish within `deadline`, then cancels what is left.
    /// - Returns: `true` when everything finished in time.
    @discardableResult
    public func drain(deadline: Duration) async -> Bool {
        let finished = await dispatcher.waitUntilIdle(timeout: deadline)
        if !finished {
            let dropped = await dispatcher.cancelAll()
            logger.warning("shutdown deadline passed; unfinished replies cancelled", metadata: ["count": "\(dropped)"])
        }
        return finished
    }

    // MARK: - One event

    func process(_ event: InboundEvent) async {
        guard let channel = channels[event.channel] else { return }
        var logger = self.logger
        logger[metadataKey: "channel"] = "\(event.channel)"
        logger[metadataKey: "platform_message_id"] = "\(event.platformMessageID)"
        let conversation = event.conversation
        let message = Self.userMessage(from: event)

        let profile = try? await identities.profile(for: ChannelIdentity(channel: event.channel, userID: event.senderID))
        let history: [ConversationTurn]
        do {
            history = try await conversations.history(of: conversation, limit: options.historyTurns)
        } catch {
            logger.warning("conversation history unavailable", metadata: ["error": "\(error)"])
            history = []
        }

        if channel.profile.supportsTypingIndicator {
            do { try await channel.acknowledge(event, logger: logger) } catch {
                logger.debug("typing indicator failed", metadata: ["error": "\(error)"])
            }
        }

        let turn = AssistantTurn(conversation: conversation, message: message, history: history,
                                 profile: profile, channelProfile: channel.profile)
        var reply: AssistantReply
        do {
            reply = try await withDeadline(options.assistantTimeout) { [assistant, logger] in
                try await assistant.reply(to: turn, logger: logger)
            }
        } catch {
            if Task.isCancelled { return }
            logger.warning("assistant failed; sending the apology", metadata: ["error": "\(type(of: error))"])
            observer.assistantFailed(channel: event.channel)
            reply = AssistantReply(markdown: options.apology)
        }
        var texts = renderer.render(reply.markdown, for: channel.profile)
        if texts.isEmpty {
            logger.warning("assistant reply was empty; sending the apology")
            reply = AssistantReply(markdown: options.apology)
            texts = renderer.render(options.apology, for: channel.profile)
        }
        var parts = texts.map { OutboundMessage(text: $0) }
        if let limits = channel.profile.quickReplies, !reply.quickReplies.isEmpty, !parts.isEmpty {
            parts[parts.count - 1].quickReplies = reply.quickReplies.prefix(limits.maximumCount).map {
                QuickReply(title: String($0.title.prefix(limits.maximumTitleLength)), payload: $0.payload)
            }
        }

        let outcome = await deliver(parts, through: channel, to: conversation.recipient, logger: logger)
        var turns = [ConversationTurn(role: .user, text: Self.historyText(of: message), timestamp: event.timestamp)]
        if case .answered = outcome {
            turns.append(ConversationTurn(role: .assistant, text: reply.markdown, timestamp: Date()))
        }
        do { try await conversations.append(turns, to: conversation) } catch {
            logger.warning("conversation history not saved", metadata: ["error": "\(error)"])
        }
        try? await inbox.complete(event, outcome: outcome)
    }

    private func deliver(_ parts: [OutboundMessage], through channel: any Channel, to recipient: Recipient, logger: Logger) async -> InboxOutcome {
        for (index, part) in parts.enumerated() {
            var attempt = 0
            while true {
                attempt += 1
                do {
                    _ = try await channel.send(part, to: recipient, logger: logger)
                    observer.channelDelivered(channel: channel.name)
                    break
                } catch {
                    let failure = (error as? ChannelError) ?? ChannelError.transient("\(type(of: error))")
                    if Task.isCancelled {
                        return .failed(reason: "cancelled at shutdown after \(index) of \(parts.count) parts")
                    }
                    switch failure.code {
                    case .transient where attempt < options.retry.attempts:
                        observer.sendRetried(channel: channel.name, error: failure)
                        let delay = options.retry.delay(afterAttempt: attempt, suggested: failure.retryAfter)
                        logger.info("send failed; retrying", metadata: [
                            "attempt": "\(attempt)", "delay_ms": "\(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)",
                            "error": "\(failure)",
                        ])
                        do { try await Task.sleep(for: delay) } catch {
                            return .failed(reason: "cancelled at shutdown after \(index) of \(parts.count) parts")
                        }
                        continue
                    case .unauthorized:
                        logger.error("the platform refused the channel's access token; update it and restart the channel", metadata: ["error": "\(failure)"])
                        observer.channelUnauthorized(channel: channel.name, error: failure)
                    default:
                        logger.warning("reply not delivered", metadata: ["error": "\(failure)", "part": "\(index + 1)/\(parts.count)"])
                    }
                    observer.replyFailed(channel: channel.name, error: failure)
                    return .failed(reason: failure.description)
                }
            }
        }
        observer.replyDelivered(channel: channel.name, parts: parts.count)
        return .answered
    }

    // MARK: - Helpers

    static func userMessage(from event: InboundEvent) -> UserMessage {
        switch event.kind {
        case .message(let message):
            return UserMessage(text: message.text ?? "", attachments: message.attachments, payload: message.quickReplyPayload)
        case .postback(let postback):
            return UserMessage(text: postback.title ?? postback.payload ?? "", payload: postback.payload)
        case .ignored:
            return UserMessage(text: "")
        }
    }

    static func historyText(of message: UserMessage) -> String {
        var text = message.text
        for attachment in message.attachments {
            if !text.isEmpty { text += "\n" }
            text += "[\(attachment.kind.rawValue)]"
        }
        return text
    }
}

/// Breaks the reference cycle between the pipeline and its dispatcher's work closure.
private final class WeakPipeline: @unchecked Sendable {
    // Written once, in Pipeline.init, before the dispatcher can run anything.
    weak var pipeline: Pipeline?
}

/// Runs `operation`, throwing ``DeadlineExceeded`` if it takes longer than `timeout`.
func withDeadline<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw DeadlineExceeded()
        }
        defer { group.cancelAll() }
        guard let result = try await group.next() else { throw DeadlineExceeded() }
        return result
    }
}

/// An operation took longer than its deadline.
struct DeadlineExceeded: Error {}
