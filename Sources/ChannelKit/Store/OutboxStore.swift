import Foundation

/// One part of a reply, recorded before it is sent.
public struct OutboxPart: Sendable, Hashable {
    /// A stable id: `"<inbox id>.<index>"`.
    public var id: String
    /// The inbox item the reply answers.
    public var inboxID: Int64
    /// The part's position in the reply, from 0.
    public var index: Int
    /// What to send.
    public var message: OutboundMessage
    /// Where it stands.
    public var state: OutboxState
    /// The platform's id once sent.
    public var platformMessageID: String?
    /// Why sending failed for good, with the platform's code.
    public var lastError: String?

    /// The reason of a part left unsent because an earlier part of its reply was refused and
    /// replaced by a fallback (see ``OutboxStore/replaceRefusedPart(_:with:reason:abandoningRest:at:)``).
    public static let abandonedReason = "not sent: an earlier part of the reply was refused"

    /// Creates a part.
    public init(id: String, inboxID: Int64, index: Int, message: OutboundMessage, state: OutboxState,
                platformMessageID: String? = nil, lastError: String? = nil) {
        self.id = id
        self.inboxID = inboxID
        self.index = index
        self.message = message
        self.state = state
        self.platformMessageID = platformMessageID
        self.lastError = lastError
    }
}

/// The states of an outbox part.
public enum OutboxState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Recorded, not yet confirmed by the platform.
    case pending
    /// The platform accepted it.
    case sent
    /// The platform refused it for good.
    case failed
}

/// Where reply parts are recorded before they are sent.
public protocol OutboxStore: Sendable {
    /// Records a reply's parts, all or none, together with the conversation turns it adds.
    /// When parts for `inboxID` exist already, records nothing and returns the existing ones.
    /// Otherwise the item must be `processing` (its worker records the reply): a reply to an
    /// item erased, dropped or finished meanwhile is refused with `StoreError(.invalidTransition, …)`.
    ///
    /// The record need not be durable by itself when this returns, but it must become durable
    /// no later than the next durable write of the same store (``markSent(_:platformMessageID:at:)``,
    /// a failure, …): the pipeline sends a part only after this returns and records the send
    /// right after, so a record lost to a power cut can only belong to a send in flight.
    /// - Returns: the parts, in order.
    ///
    /// With a fence, only while it holds (see ``InboxStore/complete(_:fence:at:)``).
    func recordReply(for inboxID: Int64, parts: [OutboundMessage], conversation: ConversationKey,
                     turns: [ConversationTurn], fence: LeaseFence?, at now: Date) async throws -> [OutboxPart]

    /// The recorded parts of a reply, in order; empty when none were recorded.
    func parts(for inboxID: Int64) async throws -> [OutboxPart]

    /// The part the platform took under `platformMessageID` (a delivery status names it), or
    /// `nil` when no part has that id. A status arrives on its own, often after its reply's
    /// message is done, on any host: the lookup is the store's, by an index.
    func part(withPlatformMessageID platformMessageID: String) async throws -> OutboxPart?

    /// `pending` → `sent`; with a fence, only while it holds.
    func markSent(_ partID: String, platformMessageID: String?, fence: LeaseFence?, at now: Date) async throws

    /// `pending` → `failed`, with the reason; with a fence, only while it holds.
    func markFailed(_ partID: String, reason: String, fence: LeaseFence?, at now: Date) async throws

    /// Replaces a `pending` part the platform refused, in one durable write: the part becomes
    /// `failed` with `reason`, and `messages` are recorded right after it as `pending` parts;
    /// the reply's later parts move along (their index and id follow, nothing else changes).
    /// With `abandoningRest`, the later parts still `pending` become `failed` instead ("not
    /// sent: an earlier part was refused"): the replacement is the reply's last word.
    ///
    /// The pipeline sends the replacement only after this returns, so a restart resends
    /// neither the refused part nor what was already sent, and loses no replacement.
    /// - Returns: every part of the reply, in order.
    /// - Throws: `StoreError(.invalidTransition, …)` when the part does not exist or is not pending.
    func replaceRefusedPart(_ partID: String, with messages: [OutboundMessage], reason: String, abandoningRest: Bool,
                            fence: LeaseFence?, at now: Date) async throws -> [OutboxPart]

    /// A reply's last part `pending` → `sent` and its inbox item `processing` → `done`: what
    /// ``markSent(_:platformMessageID:at:)`` and then ``InboxStore/complete(_:at:)`` do.
    ///
    /// The default calls the two in turn. A store that can should make both one atomic write
    /// (both, or — when either is refused — neither): it saves the pipeline a durable write
    /// per answered message.
    func markSentAndComplete(_ partID: String, platformMessageID: String?, inboxID: Int64, fence: LeaseFence?,
                             at now: Date) async throws
}

extension OutboxStore where Self: InboxStore {
    public func markSentAndComplete(_ partID: String, platformMessageID: String?, inboxID: Int64, fence: LeaseFence?,
                                    at now: Date) async throws {
        try await markSent(partID, platformMessageID: platformMessageID, fence: fence, at: now)
        try await complete(inboxID, fence: fence, at: now)
    }
}

extension OutboxStore {
    /// ``recordReply(for:parts:conversation:turns:fence:at:)`` without a fence.
    public func recordReply(for inboxID: Int64, parts: [OutboundMessage], conversation: ConversationKey,
                            turns: [ConversationTurn], at now: Date) async throws -> [OutboxPart] {
        try await recordReply(for: inboxID, parts: parts, conversation: conversation, turns: turns, fence: nil, at: now)
    }

    /// ``markSent(_:platformMessageID:fence:at:)`` without a fence.
    public func markSent(_ partID: String, platformMessageID: String?, at now: Date) async throws {
        try await markSent(partID, platformMessageID: platformMessageID, fence: nil, at: now)
    }

    /// ``markFailed(_:reason:fence:at:)`` without a fence.
    public func markFailed(_ partID: String, reason: String, at now: Date) async throws {
        try await markFailed(partID, reason: reason, fence: nil, at: now)
    }

    /// ``replaceRefusedPart(_:with:reason:abandoningRest:fence:at:)`` without a fence.
    public func replaceRefusedPart(_ partID: String, with messages: [OutboundMessage], reason: String, abandoningRest: Bool,
                                   at now: Date) async throws -> [OutboxPart] {
        try await replaceRefusedPart(partID, with: messages, reason: reason, abandoningRest: abandoningRest, fence: nil, at: now)
    }

    /// ``markSentAndComplete(_:platformMessageID:inboxID:fence:at:)`` without a fence.
    public func markSentAndComplete(_ partID: String, platformMessageID: String?, inboxID: Int64, at now: Date) async throws {
        try await markSentAndComplete(partID, platformMessageID: platformMessageID, inboxID: inboxID, fence: nil, at: now)
    }
}
