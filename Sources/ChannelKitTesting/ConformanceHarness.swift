import ChannelIdentity
import ChannelKit
import ChannelMedia
import ChannelPipeline
import Foundation
import Logging

/// One conformance scenario's world: the channel under test on a ``FakePlatformAPI``, the real
/// ``Pipeline`` with an ``InMemoryStore``, a ``ScriptedAssistant`` and the real media step
/// (``MediaPreparer``, fetching through the fake platform), and the same steps the host's
/// webhook route takes (handle, then accept).
///
/// ```swift
/// let harness = try await ConformanceHarness(subject: subject) { turn in AssistantReply(markdown: "re: \(turn.message.text)") }
/// let outcome = try await harness.deliver(subject.delivery(of: [message], signature: .valid))
/// await harness.idle()
/// harness.api.texts(to: message.sender)            // ["re: …"]
/// let photo = harness.hostMedia(.photo, id: "1")   // served by the fake platform
/// ```
public struct ConformanceHarness: Sendable {
    /// The fake platform the channel sends to.
    public let api: FakePlatformAPI
    /// The channel under test.
    public let channel: any Channel
    /// The store the pipeline records into.
    public let store: InMemoryStore
    /// The assistant, recording every turn.
    public let assistant: ScriptedAssistant
    /// The real pipeline.
    public let pipeline: Pipeline
    /// The mailer of the identity-linking flow, when the harness runs one.
    public let mailer: RecordingMailer?
    /// What the channel's media is fetched under: the channel's own allowed hosts over HTTPS,
    /// the fake platform's loopback origin over plain HTTP (named for tests only, as the host
    /// names its own address for a sandbox), and a cap of ``mediaByteLimit``.
    public let mediaPolicy: MediaPolicy
    private let subject: any ChannelConformanceSubject

    /// Retries fast enough for tests: 4 tries, 1 ms to 5 ms apart.
    public static let fastRetry = RetryPolicy(attempts: 4, initialDelay: .milliseconds(1), maximumDelay: .milliseconds(5))
    /// The size cap on one piece of media: 64 KB.
    public static let mediaByteLimit = 64 * 1024

    /// Builds and starts the world.
    /// - Parameters:
    ///   - subject: the channel's subject.
    ///   - identityLinking: whether the identity-linking flow answers its commands.
    ///   - transcriber: what transcribes voice notes; without one they get the friendly
    ///     "can't listen yet" answer, as in a host without transcription.
    ///   - answer: the assistant's answer to a turn.
    public init(subject: any ChannelConformanceSubject, identityLinking: Bool = false, transcriber: (any Transcriber)? = nil,
                answer: @escaping @Sendable (AssistantTurn) async throws -> AssistantReply = { AssistantReply(markdown: "re: \($0.message.text)") }) async throws {
        let logger = Logger(label: "channel-conformance", factory: { _ in SwiftLogNoOpLogHandler() })
        self.subject = subject
        api = FakePlatformAPI(subject: subject)
        channel = try subject.makeChannel(http: api)
        mediaPolicy = MediaPolicy(allowedHosts: channel.profile.allowedMediaHosts, plainHTTPHosts: [FakePlatformAPI.mediaHostPort],
                                  maxBytes: Self.mediaByteLimit, timeout: .seconds(20))
        let preparer = MediaPreparer(fetcher: MediaFetcher(http: api, resolver: PublicAddressResolver(), timers: TestThreads.timers),
                                     policies: [channel.name: mediaPolicy], transcriber: transcriber)
        let store = InMemoryStore()
        self.store = store
        assistant = ScriptedAssistant(answer: answer)
        var commands: [any CommandHandler] = []
        if identityLinking {
            let mailer = RecordingMailer()
            self.mailer = mailer
            commands.append(IdentityLinkFlow(store: store, mailer: mailer))
        } else {
            mailer = nil
        }
        pipeline = Pipeline(channels: [channel], store: store, identities: store, assistant: assistant, preparer: preparer,
                            options: Pipeline.Options(retry: Self.fastRetry, maxAttempts: 5), commands: commands, executor: TestThreads.replies, timers: TestThreads.timers, logger: logger)
        try await pipeline.start()
    }

    /// What the host's webhook route does with a request: the channel verifies and parses it,
    /// and a delivery's events are recorded (and queued) before it would answer 200.
    /// - Returns: the channel's outcome and, for a delivery, what the pipeline accepted.
    /// - Throws: the channel's ``ChannelError`` (the host's 403, 400, 405).
    @discardableResult
    public func deliver(_ request: WebhookRequest) async throws -> (outcome: WebhookOutcome, acceptance: Pipeline.Acceptance?) {
        let logger = Logger(label: "channel-conformance", factory: { _ in SwiftLogNoOpLogHandler() })
        let outcome = try channel.handle(request, logger: logger)
        guard case .events(let events) = outcome else { return (outcome, nil) }
        // Bound first: a tuple with an awaited element is miscompiled at -O (see MediaPreparer.download).
        let acceptance = try await pipeline.accept(events)
        return (outcome, acceptance)
    }

    /// Hosts `file` on the fake platform as media `id` and returns it: served at the subject's
    /// media path on ``FakePlatformAPI/mediaOrigin``, or at `url` when one is given.
    @discardableResult
    public func hostMedia(_ file: ConformanceMediaFile, id: String, url: String? = nil) -> ConformanceMedia {
        let media = ConformanceMedia(id: id, url: url ?? FakePlatformAPI.mediaOrigin + subject.mediaPath(for: id), file: file)
        api.host(media)
        return media
    }

    /// Returns once every queued event has been answered or has given up.
    public func idle() async {
        await pipeline.waitUntilIdle()
    }

    /// Every inbox item the store holds, in any state.
    public func items() async throws -> [InboxItem] {
        await store.items(in: Set(InboxState.allCases), limit: 100_000)
    }
}
