import ChannelKit
import Foundation
import Logging
import Synchronization

/// A channel for tests: records every send and typing indicator, and fails sends as scripted.
///
/// ```swift
/// let channel = RecordingChannel(name: "test")
/// channel.failNextSends([.transient("503"), .transient("503")])   // then succeed
/// channel.refuseSends { $0.text.utf8.count > 60 ? .permanent("(#100) Invalid parameter", platformCode: 100,
///                                                             isInvalidParameter: true) : nil }
/// ```
public final class RecordingChannel: Channel, Sendable {
    /// One recorded call.
    public struct Call: Sendable, Hashable {
        /// `send` or `typing`.
        public var kind: Kind
        /// Who it was for.
        public var recipient: Recipient
        /// The message, for sends.
        public var message: OutboundMessage?
        /// Whether the call succeeded.
        public var succeeded: Bool
        /// The message id the send got back, for sends that succeeded.
        public var platformMessageID: String?

        /// Call kinds.
        public enum Kind: String, Sendable, Hashable { case send, typing }
    }

    public let name: String
    public let profile: ChannelProfile
    private struct State {
        var calls: [Call] = []
        var failures: [ChannelError] = []
        var refusal: (@Sendable (OutboundMessage) -> ChannelError?)?
        var sendDelay: Duration = .zero
        var typingWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Creates a channel.
    public init(name: String = "test", profile: ChannelProfile = ChannelProfile(
        formatting: .plain, textLimit: TextLimit(maximum: 1000, unit: .utf8Bytes), supportsTypingIndicator: true,
        quickReplies: QuickReplyLimits(maximumCount: 13, maximumTitleLength: 20))) {
        self.name = name
        self.profile = profile
    }

    /// Every call so far, in order.
    public var calls: [Call] { state.withLock { $0.calls } }

    /// The texts successfully sent to `userID`, in order.
    public func sentTexts(to userID: String) -> [String] {
        calls.filter { $0.kind == .send && $0.succeeded && $0.recipient.userID == userID }.compactMap { $0.message?.text }
    }

    /// Makes the next sends fail with these errors, in order.
    public func failNextSends(_ errors: [ChannelError]) {
        state.withLock { $0.failures.append(contentsOf: errors) }
    }

    /// Makes every send whose message `rule` refuses fail with the error it gives (after any
    /// scripted ``failNextSends(_:)``): a platform that judges messages by their content.
    public func refuseSends(_ rule: @escaping @Sendable (OutboundMessage) -> ChannelError?) {
        state.withLock { $0.refusal = rule }
    }

    /// Makes every send take this long.
    public func setSendDelay(_ delay: Duration) {
        state.withLock { $0.sendDelay = delay }
    }

    public func handle(_ request: WebhookRequest, logger: Logger) throws -> WebhookOutcome {
        throw ChannelError(.methodNotAllowed, "the recording channel takes no webhooks")
    }

    public func send(_ message: OutboundMessage, to recipient: Recipient, logger: Logger) async throws -> SendReceipt {
        let delay = state.withLock { $0.sendDelay }
        if delay > .zero { try await Task.sleep(for: delay) }
        let id = "sent.\(UUID().uuidString)"
        let failure: ChannelError? = state.withLock { state in
            let failure = state.failures.isEmpty ? state.refusal?(message) : state.failures.removeFirst()
            state.calls.append(Call(kind: .send, recipient: recipient, message: message, succeeded: failure == nil,
                                    platformMessageID: failure == nil ? id : nil))
            return failure
        }
        if let failure { throw failure }
        return SendReceipt(platformMessageID: id)
    }

    public func typing(to recipient: Recipient, logger: Logger) async throws {
        let waiters = state.withLock { state in
            state.calls.append(Call(kind: .typing, recipient: recipient, message: nil, succeeded: true))
            defer { state.typingWaiters = [] }
            return state.typingWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once a typing indicator has been shown (at once if one already was).
    public func waitForTyping() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let shown = state.withLock { state in
                let shown = state.calls.contains { $0.kind == .typing }
                if !shown { state.typingWaiters.append(continuation) }
                return shown
            }
            if shown { continuation.resume() }
        }
    }
}
