import ChannelConcurrency
import ChannelKit
import ChannelRendering
import Foundation
import Logging
import Synchronization

/// The shared way every channel's events go: record durably and deduplicate, then one at a
/// time per conversation, in order → assistant → render for the channel → record the reply's
/// parts → send them with retries → mark done.
///
/// ```swift
/// let pipeline = Pipeline(channels: [instagram], store: store, identities: directory,
///                         assistant: assistant, commands: [identityLinking], logger: logger)
/// try await pipeline.start()            // resume what an earlier run left
/// // in the webhook handler, after the channel verified and parsed the request:
/// try await pipeline.accept(events)      // durable; then answer 200; replies happen afterwards
/// ```
///
/// Guarantees, given a store that keeps its promises: an event is answered at most once in
/// the normal course; a part whose send was in flight when the process died may be sent
/// once more after a restart; the parts of one reply stay in order and a later reply never
/// overtakes an earlier one in the same conversation.
public final class Pipeline: Sendable {
    /// What ``accept(_:)`` did.
    public struct Acceptance: Sendable, Hashable {
        /// Events in the delivery.
        public var received: Int
        /// Events that were new.
        public var accepted: Int
        /// New events that will be answered.
        public var queued: Int
    }

    /// What ``start()`` found.
    public struct Recovery: Sendable, Hashable {
        /// Events an earlier run was working on, taken up again.
        public var released: Int
        /// Events too old to answer.
        public var expired: Int
        /// Events queued.
        public var resumed: Int
    }

    /// The channels by name, each with how many times it was replaced.
    let channels: Mutex<[String: (channel: any Channel, generation: Int)]>
    let store: any PipelineStore
    let identities: any IdentityDirectory
    let assistant: any Assistant
    let preparer: (any MessagePreparer)?
    let commands: [any CommandHandler]
    let renderer: MarkdownRenderer
    let options: Options
    let observer: PipelineReport
    /// The message's spans; off unless the host turned tracing on.
    public let tracing: PipelineTracing
    let logger: Logger
    let timers: TimerThread
    let now: @Sendable () -> Date
    let gate: ChannelGate
    let dispatcher: ConversationDispatcher
    /// The steps of one message's way, each with one job (see ``answer(_:channel:generation:logger:)``).
    let assistantCall: AssistantCall
    let composer: ReplyComposer
    let sender: PartSender

    /// Creates a pipeline.
    /// - Parameters:
    ///   - preparer: runs before the assistant in the conversation's lane (media, transcription).
    ///   - metrics: the pipeline's counters (swift-metrics); none by default.
    ///   - health: told how each channel's sends fare.
    ///   - tracing: the spans of each message's way; off by default.
    ///   - commands: handlers asked, in order, before the assistant (identity linking).
    ///   - executor: the threads replies are made on; one per process, made by the host.
    ///   - timers: the timer thread for the typing delay and the assistant's deadline; one per process.
    ///   - now: the clock; tests pass their own.
    public init(channels: [any Channel], store: any PipelineStore, identities: any IdentityDirectory,
                assistant: any Assistant, preparer: (any MessagePreparer)? = nil,
                renderer: MarkdownRenderer = MarkdownRenderer(), options: Options = Options(),
                metrics: PipelineMetrics = .none, health: (any ChannelHealthObserver)? = nil, tracing: PipelineTracing = .off,
                commands: [any CommandHandler] = [],
                executor: ReplyExecutor, timers: TimerThread, now: @escaping @Sendable () -> Date = { Date() }, logger: Logger) {
        var byName: [String: (channel: any Channel, generation: Int)] = [:]
        for channel in channels { byName[channel.name] = (channel, 0) }
        self.channels = Mutex(byName)
        self.store = store
        self.identities = identities
        self.assistant = assistant
        self.preparer = preparer
        self.commands = commands
        self.renderer = renderer
        self.options = options
        let report = PipelineReport(metrics: metrics, health: health)
        self.observer = report
        self.tracing = tracing
        self.logger = logger
        self.timers = timers
        self.now = now
        gate = ChannelGate(store: store, probeWindow: options.channelProbeWindow.seconds)
        assistantCall = AssistantCall(assistant: assistant, timeout: options.assistantTimeout, timers: timers, retryWindow: options.assistantRetryWindow,
                                      apology: options.apology, observer: report, tracing: tracing, now: now)
        composer = ReplyComposer(renderer: renderer, apology: options.apology)
        sender = PartSender(retry: options.retry, observer: report, tracing: tracing)
        let box = WeakPipeline()
        // Replies are made on threads of their own, so acknowledgements never queue behind them.
        self.dispatcher = ConversationDispatcher(limit: options.maxConcurrentConversations, executor: executor,
                                                 now: now) { item, found in
            guard let pipeline = box.pipeline else { return .finished }
            return await pipeline.process(item, found: found)
        }
        box.pipeline = self
    }

    // MARK: - Life cycle

    /// Takes up what an earlier run left: events it was working on are released, events
    /// older than the maximum age are expired, and everything else is queued.
    @discardableResult
    public func start() async throws -> Recovery {
        let clock = now()
        // A store of this host's alone: every lease is an earlier run's. A shared one: only
        // this host's are; other hosts' lapse if their host is gone.
        let released = options.sharedStore
            ? try await store.releaseLeases(ownedBy: options.workerID, at: clock)
            : try await store.releaseAllLeases(at: clock)
        let expired = try await store.expire(before: clock.addingTimeInterval(-options.maxMessageAge.seconds), at: clock)
        let pending = try await store.pending(at: clock)
        await dispatcher.enqueue(pending)
        if released + expired + pending.count > 0 {
            logger.info("resuming earlier work", metadata: ["released": "\(released)", "expired": "\(expired)", "queued": "\(pending.count)"])
        }
        return Recovery(released: released, expired: expired, resumed: pending.count)
    }

    /// Rescans the store now and then (lapsed leases of a host that stopped, items an operator
    /// retried, a shared store's messages no host has taken up) until the task is cancelled.
    public func rescanPeriodically() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: options.rescanInterval) } catch { return }
            await rescan()
        }
    }

    /// Queues the conversations the store says can be taken up now and are not queued yet, by
    /// their oldest open message (``InboxStore/claimableHeadIDs(at:)``): the messages behind
    /// a head are taken up as it finishes, so a backlog is never read again at every rescan,
    /// and only heads not queued here are read in full.
    public func rescan() async {
        do {
            let missing = await dispatcher.unqueued(try await store.claimableHeadIDs(at: now()))
            guard !missing.isEmpty else { return }
            await dispatcher.enqueue(try await store.items(withIDs: missing), found: true)
        } catch {
            logger.warning("store rescan failed", metadata: ["error": "\(error)"])
        }
    }

    /// Records a verified delivery's events durably and queues the new, answerable ones.
    ///
    /// Returns once the events are recorded; the replies happen afterwards. With tracing on,
    /// each new item keeps the current trace (the webhook's span), for the host that claims it.
    /// - Throws: the store's error; the caller must then not acknowledge the delivery.
    @discardableResult
    public func accept(_ events: [InboundEvent]) async throws -> Acceptance {
        guard !events.isEmpty else { return Acceptance(received: 0, accepted: 0, queued: 0) }
        let created = try await store.accept(events, traceContext: tracing.currentContext(), at: now())
        await handleWindowRefusals(created)   // statuses of replies refused outside the reply window
        let answerable = channels.withLock { channels in
            created.filter { $0.state == .received && channels[$0.event.channel] != nil }
        }
        // Standby copies (another app owns the thread) are new to the store but are no new messages.
        var acceptedPerChannel: [String: Int] = [:]
        var standbyPerChannel: [String: Int] = [:]
        for item in created {
            if case .ignored(let ignored) = item.event.kind, ignored.reason == .standby {
                standbyPerChannel[item.event.channel, default: 0] += 1
            } else {
                acceptedPerChannel[item.event.channel, default: 0] += 1
            }
        }
        for (channel, group) in Dictionary(grouping: events, by: \.channel) {
            observer.eventsAccepted(channel: channel, received: group.count, accepted: acceptedPerChannel[channel] ?? 0,
                                    standby: standbyPerChannel[channel] ?? 0)
        }
        dispatcher.submit(answerable)
        // Echoes and thread-control changes take their turn too, but are never answered.
        return Acceptance(received: events.count, accepted: created.count, queued: answerable.count { $0.event.isAnswerable })
    }

    /// The channel serving `name` now.
    public func channel(named name: String) -> (any Channel)? {
        channels.withLock { $0[name]?.channel }
    }

    /// Serves `channel` from now on in place of the channel with the same name (an operator
    /// saved new settings): replies started earlier finish through the channel they began
    /// with; everything after — the next part, a retry, the next message — goes through the
    /// new one. A pause after refused credentials ends, and replies waiting for it go on now.
    public func replaceChannel(_ channel: any Channel) async {
        // One step with pausing (see `pauseUnlessReplaced`): a refusal of the old credentials
        // that arrives now either pauses the channel before this lifts it, or sees it replaced.
        channels.withLock { channels in
            channels[channel.name] = (channel, (channels[channel.name]?.generation ?? 0) + 1)
            gate.forget(channel.name)
        }
        await gate.clearShared(channel.name, at: now())
        // Waiting replies become claimable now, with a fresh set of attempts: the operator
        // gave the channel new settings.
        var released: Set<Int64> = []
        for id in await dispatcher.parkedItemIDs(channel: channel.name) {
            do {
                _ = try await store.retry(id, at: now())
                released.insert(id)
            } catch {
                logger.warning("a waiting reply could not be released; it goes at its retry time", metadata: ["inbox_id": "\(id)", "error": "\(error)"])
            }
        }
        await dispatcher.wakeParked(channel: channel.name, releasing: released)
    }

    /// Pauses the channel's sends until `until`, unless the channel was replaced since the
    /// send that was refused began (`generation`): then the new credentials are to be tried.
    /// - Returns: whether the channel is now paused.
    func pauseUnlessReplaced(_ name: String, generation: Int, until: Date) -> Bool {
        channels.withLock { channels in
            guard channels[name]?.generation == generation else { return false }
            gate.pauseHere(name, until: until)
            return true
        }
    }

    /// Items waiting (including those waiting for a retry) or being answered.
    public var backlog: Int {
        get async { await dispatcher.backlog }
    }

    /// Returns once every queued event has been answered or has given up.
    public func waitUntilIdle() async {
        await dispatcher.waitUntilIdle()
    }

    /// Returns `true` once every queued event has been answered or has given up, or `false`
    /// when `timeout` passes first.
    public func waitUntilIdle(timeout: Duration) async -> Bool {
        await dispatcher.waitUntilIdle(timeout: timeout)
    }

    /// Stops taking new work and lets queued and in-flight replies finish within `deadline`,
    /// then cancels what is left. Events waiting for a retry stay in the store for the next start.
    /// - Returns: `true` when everything finished in time.
    @discardableResult
    public func drain(deadline: Duration) async -> Bool {
        await dispatcher.stopTakingNew()
        await dispatcher.forgetParked()
        let finished = await dispatcher.waitUntilIdle(timeout: deadline)
        if !finished {
            let dropped = await dispatcher.stop()
            logger.warning("shutdown deadline passed; unfinished replies resume at the next start", metadata: ["count": "\(dropped)"])
        }
        return finished
    }

    // MARK: - One event

    /// Answers a claimed item through `channel`: the reply recorded earlier, or made now, sent.
    func answer(_ item: InboxItem, channel: any Channel, generation: Int, logger: Logger) async -> ConversationDispatcher.Verdict {
        if let verdict = await takeUpUnanswered(item, logger: logger) { return verdict }
        let start = now()
        if case .wait(let until) = await gate.admit(channel.name, at: start) {
            return await waitForChannel(item, until: until, reason: "channel paused: credentials refused", logger: logger)
        }

        // The reply: recorded earlier (an interrupted run), or made now. A reply is recorded
        // only under a claim, so an item's first claim has none to read. (Should one be there
        // all the same, recording the new reply returns it instead, and it is what is sent.)
        var parts: [OutboxPart] = []
        do {
            if item.claimEpoch != 1 { parts = try await store.parts(for: item.id) }
            // A conversation a person of the business answers (or another app owns) is not
            // Sandra's: the message is kept for them, and nothing is sent, held replies neither.
            if parts.isEmpty, let verdict = try await holdIfQuiet(item, logger: logger) { return verdict }
        } catch {
            if Task.isCancelled { return .finished }
            return await park(item, until: now().addingTimeInterval(5), reason: "store unavailable", countsAsAttempt: false,
                              logger: logger)
        }

        // Replies held while the conversation's window was closed go first (see Pipeline+Window).
        await sendHeldReplies(before: item, through: channel, logger: logger)

        if parts.isEmpty {
            do {
                parts = asksForPerson(item.event)
                    ? try await answerRequestForPerson(item, channel: channel, logger: logger)
                    : try await makeReply(for: item, channel: channel, logger: logger)
            } catch let outage as AssistantOutage {
                return await waitForAssistant(item, outage, channel: channel, logger: logger)
            } catch {
                if Task.isCancelled { return .finished }
                return await park(item, until: now().addingTimeInterval(5), reason: "store unavailable", countsAsAttempt: false, logger: logger)
            }
        } else if parts.contains(where: { $0.state == .pending }) {
            logger.info("resuming a reply recorded before a restart", metadata: ["parts": "\(parts.count)"])
        }

        return await deliver(parts, of: item, through: channel, generation: generation, logger: logger)
    }

    // MARK: - Helpers

    static func userMessage(from event: InboundEvent) -> UserMessage {
        switch event.kind {
        case .message(let message):
            return UserMessage(text: message.text ?? "", attachments: message.attachments, payload: message.quickReplyPayload)
        case .postback(let postback):
            return UserMessage(text: postback.title ?? postback.payload ?? "", payload: postback.payload)
        case .echo, .control, .ignored:
            return UserMessage(text: "")
        }
    }

    /// What the history keeps of a message: text, transcript and notes, never media bytes.
    static func historyText(of message: UserMessage) -> String {
        message.historyText
    }
}

/// Breaks the reference cycle between the pipeline and its dispatcher's work closure.
private final class WeakPipeline: @unchecked Sendable {
    // Written once, in Pipeline.init, before the dispatcher can run anything.
    weak var pipeline: Pipeline?
}
