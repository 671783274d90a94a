import Foundation

/// The states of an inbox item.
///
/// ```
/// received ──claim(lease)──▶ processing ──▶ done
///     ▲                          │  ├─ transient failure ─▶ failed(attempts, next attempt) ─▶ claimable again at that time
///     │                          │  └─ too many failures or a permanent one ─▶ dead (kept for inspection)
///     └──── lease expired / restart ┘
/// received, failed or processing, older than the maximum age at start-up ─▶ expired
/// ```
/// Events that are never answered (echoes, reads, …) are stored as `ignored`; an operator
/// can `drop` an item, which keeps its key so that a redelivery still creates nothing.
public enum InboxState: String, Sendable, Hashable, Codable, CaseIterable {
    case received, processing, done, failed, dead, expired, ignored, dropped

    /// States an item leaves only through an operator (`retry`) or never.
    public var isTerminal: Bool {
        switch self {
        case .done, .dead, .expired, .ignored, .dropped: true
        case .received, .processing, .failed: false
        }
    }
}

/// One accepted event and where it stands.
public struct InboxItem: Sendable, Hashable {
    /// The store's id for the item.
    public var id: Int64
    /// The event.
    public var event: InboundEvent
    /// Where it stands.
    public var state: InboxState
    /// Processing attempts that failed so far.
    public var attempts: Int
    /// When a failed item may be tried again.
    public var nextAttemptAt: Date?
    /// Until when a processing item belongs to its worker.
    public var leaseExpiresAt: Date?
    /// Why the last attempt failed (no message text, no secrets).
    public var lastError: String?
    /// When the item was accepted.
    public var receivedAt: Date
    /// When the item last changed.
    public var updatedAt: Date
    /// Claims of the item that have not ended in an outcome (done, failed, dead), the current
    /// one included: each claim adds one, each recorded outcome sets it back to zero. A claim
    /// that never ended is one the host stopped in the middle of (a crash, a kill): an item
    /// claimed again with more than one such claim behind it may be what stops the host.
    public var unfinishedClaims: Int

    /// Creates an item.
    public init(id: Int64, event: InboundEvent, state: InboxState, attempts: Int = 0, nextAttemptAt: Date? = nil,
                leaseExpiresAt: Date? = nil, lastError: String? = nil, receivedAt: Date, updatedAt: Date,
                unfinishedClaims: Int = 0) {
        self.id = id
        self.event = event
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.leaseExpiresAt = leaseExpiresAt
        self.lastError = lastError
        self.receivedAt = receivedAt
        self.updatedAt = updatedAt
        self.unfinishedClaims = unfinishedClaims
    }
}

/// Where accepted events are recorded, deduplicated, and moved through their states.
///
/// The webhook route answers 200 only after ``accept(_:at:)`` returned, so an implementation
/// must not return before the events are durable. Every method is atomic.
public protocol InboxStore: Sendable {
    /// Records events, deduplicated by (channel, platform message id), atomically: of two
    /// concurrent deliveries of the same event exactly one sees it as new. A new answerable
    /// event becomes `received`, a new unanswerable one `ignored`. A known key — whatever
    /// its state — creates nothing.
    /// - Returns: the items created, in the order of `events`.
    func accept(_ events: [InboundEvent], at now: Date) async throws -> [InboxItem]

    /// Moves a `received` item, a `failed` one whose next attempt is due, or a `processing`
    /// one whose lease has expired, to `processing` with a lease until `leaseUntil`.
    /// ``InboxItem/unfinishedClaims`` grows by one. A claim need not be durable against power
    /// loss when it returns, but must survive the process dying: one lost in a power cut leaves
    /// the item claimable, which is what ``releaseAllLeases(at:)`` makes of a claimed item at
    /// the next start anyway, while the count of unfinished claims is what tells a message
    /// that stops the host (a poison message) from one that was merely interrupted.
    /// - Returns: the claimed item, or `nil` when the item is not claimable.
    func claim(_ id: Int64, leaseUntil: Date, at now: Date) async throws -> InboxItem?

    /// Extends the lease of a `processing` item.
    func renewLease(_ id: Int64, until: Date, at now: Date) async throws

    /// `processing` → `done`. Like every outcome (``fail(_:reason:nextAttemptAt:countsAsAttempt:at:)``,
    /// ``kill(_:reason:at:)``, an operator's ``retry(_:at:)`` or ``drop(_:at:)``), this sets
    /// ``InboxItem/unfinishedClaims`` back to zero.
    func complete(_ id: Int64, at now: Date) async throws

    /// `processing` → `failed` with a next attempt time; `attempts` grows by one when
    /// `countsAsAttempt` (a pause for unauthorized credentials does not count).
    func fail(_ id: Int64, reason: String, nextAttemptAt: Date, countsAsAttempt: Bool, at now: Date) async throws

    /// `processing` → `dead`, for a permanent failure or the last allowed attempt; `attempts` grows by one.
    func kill(_ id: Int64, reason: String, at now: Date) async throws

    /// At start-up: every `received`, `failed` or `processing` item whose platform timestamp
    /// is before `cutoff` becomes `expired`.
    /// - Returns: how many expired.
    func expire(before cutoff: Date, at now: Date) async throws -> Int

    /// At start-up: every `processing` item (a worker of an earlier run) becomes `received`.
    /// - Returns: how many were released.
    func releaseAllLeases(at now: Date) async throws -> Int

    /// Items that still need work — `received`, `failed`, and `processing` whose lease has
    /// expired — ordered by conversation, then platform timestamp, then id.
    func pending(at now: Date) async throws -> [InboxItem]

    /// The ids of the items ``pending(at:)`` returns, in no particular order: what a rescan
    /// reads, so that it loads only the items that are not queued already.
    func pendingIDs(at now: Date) async throws -> [Int64]

    /// The items with these ids, in id order; ids of no item are skipped.
    func items(withIDs ids: [Int64]) async throws -> [InboxItem]

    /// Items in the given states, oldest first, at most `limit`.
    func items(in states: Set<InboxState>, limit: Int) async throws -> [InboxItem]

    /// One item.
    func item(_ id: Int64) async throws -> InboxItem?

    /// An operator's retry: a `failed`, `dead` or `expired` item (or a `processing` one
    /// whose lease expired) becomes `received` with no attempts counted.
    /// - Returns: whether the item was retried.
    func retry(_ id: Int64, at now: Date) async throws -> Bool

    /// An operator's drop: a non-`done` item becomes `dropped`; its key stays, so a
    /// redelivery still creates nothing.
    /// - Returns: whether the item was dropped.
    func drop(_ id: Int64, at now: Date) async throws -> Bool

    /// How many items are in each state.
    func counts() async throws -> [InboxState: Int]

    /// The number of items in each state, per channel; a channel with no items is absent.
    func countsByChannel() async throws -> [String: [InboxState: Int]]

    /// Replaces what the person typed in an item's event (text, quick-reply or postback
    /// payload and title) with ``InboundEvent/redactedText``, keeping everything else: for
    /// messages that must not be kept, such as verification codes and email addresses.
    /// - Returns: whether the item exists.
    func redact(_ id: Int64, at now: Date) async throws -> Bool
}

extension InboxStore {
    /// The ids of ``pending(at:)``; stores that can read the ids alone override it.
    public func pendingIDs(at now: Date) async throws -> [Int64] {
        try await pending(at: now).map(\.id)
    }

    /// One ``item(_:)`` per id; stores that can read them in one go override it.
    public func items(withIDs ids: [Int64]) async throws -> [InboxItem] {
        var found: [InboxItem] = []
        for id in Set(ids).sorted() {
            if let item = try await item(id) { found.append(item) }
        }
        return found
    }
}

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
    func recordReply(for inboxID: Int64, parts: [OutboundMessage], conversation: ConversationKey,
                     turns: [ConversationTurn], at now: Date) async throws -> [OutboxPart]

    /// The recorded parts of a reply, in order; empty when none were recorded.
    func parts(for inboxID: Int64) async throws -> [OutboxPart]

    /// `pending` → `sent`.
    func markSent(_ partID: String, platformMessageID: String?, at now: Date) async throws

    /// `pending` → `failed`, with the reason.
    func markFailed(_ partID: String, reason: String, at now: Date) async throws

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
                            at now: Date) async throws -> [OutboxPart]

    /// A reply's last part `pending` → `sent` and its inbox item `processing` → `done`: what
    /// ``markSent(_:platformMessageID:at:)`` and then ``InboxStore/complete(_:at:)`` do.
    ///
    /// The default calls the two in turn. A store that can should make both one atomic write
    /// (both, or — when either is refused — neither): it saves the pipeline a durable write
    /// per answered message.
    func markSentAndComplete(_ partID: String, platformMessageID: String?, inboxID: Int64, at now: Date) async throws
}

extension OutboxStore where Self: InboxStore {
    public func markSentAndComplete(_ partID: String, platformMessageID: String?, inboxID: Int64, at now: Date) async throws {
        try await markSent(partID, platformMessageID: platformMessageID, at: now)
        try await complete(inboxID, at: now)
    }
}

/// Where the conversation the assistant sees is kept.
public protocol ConversationStore: Sendable {
    /// The last `limit` turns of a conversation, oldest first.
    func history(of conversation: ConversationKey, limit: Int) async throws -> [ConversationTurn]
    /// The last `limit` turns of every conversation of these people (with any business
    /// account), merged: ordered by timestamp, turns with equal timestamps in the order they
    /// were appended. A person's memory across the channels linked to one Sandra profile.
    func sharedHistory(of people: [ChannelIdentity], limit: Int) async throws -> [ConversationTurn]
    /// Appends turns to a conversation.
    func append(_ turns: [ConversationTurn], to conversation: ConversationKey) async throws
}

/// Everything the pipeline keeps: the inbox, the outbox, conversations, and the state every
/// host of the store shares (channel pauses).
public typealias PipelineStore = InboxStore & OutboxStore & ConversationStore & SharedStateStore

/// A store operation failed; the caller must not acknowledge what it could not record.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Failure kinds.
    public enum Code: String, Sendable, Hashable {
        /// The store cannot write (disk full, read-only, I/O error).
        case unavailable
        /// The store's content is not what this version expects.
        case corrupt
        /// The referenced item does not exist or is not in a state that allows the change.
        case invalidTransition
        /// Another process holds the store for itself (a second host on one SQLite file).
        case inUse
    }

    /// The kind.
    public var code: Code
    /// Details for operators.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
