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
    /// Claims of the item so far, ever: each claim adds one. A worker's writes carry the epoch
    /// of its claim (``LeaseFence``), so that one whose lease was taken over writes nothing.
    public var claimEpoch: Int64
    /// Who holds (or last held) the item's lease: a host's worker id.
    public var leaseOwner: String?
    /// The trace the item was accepted in, as W3C Trace Context headers (`traceparent`, and
    /// `tracestate` when there is one, one `name: value` line each), so that whichever host
    /// claims the item continues that trace; `nil` when tracing was off.
    public var traceContext: String?
    /// The conversation's takeover state, when the store read it with the claim
    /// (``InboxStore/claimHead(_:owner:leaseUntil:at:)``); ``ConversationControlReading/notRead`` otherwise.
    public var controlReading: ConversationControlReading = .notRead

    /// Creates an item.
    public init(id: Int64, event: InboundEvent, state: InboxState, attempts: Int = 0, nextAttemptAt: Date? = nil,
                leaseExpiresAt: Date? = nil, lastError: String? = nil, receivedAt: Date, updatedAt: Date,
                unfinishedClaims: Int = 0, claimEpoch: Int64 = 0, leaseOwner: String? = nil, traceContext: String? = nil) {
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
        self.claimEpoch = claimEpoch
        self.leaseOwner = leaseOwner
        self.traceContext = traceContext
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
    ///
    /// Each created item keeps `traceContext` (``InboxItem/traceContext``), returned by every
    /// later read of it; `nil` stores nothing.
    /// - Returns: the items created, in the order of `events`.
    func accept(_ events: [InboundEvent], traceContext: String?, at now: Date) async throws -> [InboxItem]

    /// ``accept(_:traceContext:at:)`` outside any trace. (A requirement rather than an
    /// extension method, so that a store's synchronous version stays the one chosen in async
    /// code.)
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

    /// Claims an item for `owner` only if it heads its conversation: the pipeline's claim,
    /// which keeps one conversation's messages in order across every host of the store.
    ///
    /// The item is claimed (as ``claim(_:leaseUntil:at:)`` does, recording `owner` and adding
    /// one to ``InboxItem/claimEpoch``) when it is claimable and no other message of its
    /// conversation (channel, business account, sender) that is earlier — by platform
    /// timestamp, then id — is `received`, `failed` or `processing`. A failed message whose
    /// next attempt is not due holds the conversation's later messages back, so an order pin
    /// survives a restart and is the same for every host.
    /// - Returns: ``HeadClaim/claimed(_:)``; ``HeadClaim/waiting(until:)`` with when to ask
    ///   again at the latest (the lease expiry of a worker holding the item or the earlier
    ///   message, a due time, or `now` when the earlier message waits for a worker);
    ///   ``HeadClaim/finished`` when there is nothing to do. A claimed item carries the
    ///   conversation's takeover state at `now` (``InboxItem/controlReading``), read with the claim.
    func claimHead(_ id: Int64, owner: String, leaseUntil: Date, at now: Date) async throws -> HeadClaim

    /// Extends the lease of a `processing` item; with a fence, only while the fence holds.
    /// - Throws: `StoreError(.leaseLost, …)` when the fence no longer holds.
    func renewLease(_ id: Int64, until: Date, fence: LeaseFence?, at now: Date) async throws

    /// `processing` → `done`. Like every outcome (``fail(_:reason:nextAttemptAt:countsAsAttempt:fence:at:)``,
    /// ``kill(_:reason:fence:at:)``, an operator's ``retry(_:at:)`` or ``drop(_:at:)``), this sets
    /// ``InboxItem/unfinishedClaims`` back to zero.
    ///
    /// Every worker write takes the worker's ``LeaseFence``: when the item's claim epoch is no
    /// longer the fence's (another worker took the item over), nothing changes and the call
    /// throws `StoreError(.leaseLost, …)`. `nil` writes without a fence (operators, tests).
    func complete(_ id: Int64, fence: LeaseFence?, at now: Date) async throws

    /// `processing` → `failed` with a next attempt time; `attempts` grows by one when
    /// `countsAsAttempt` (a pause for unauthorized credentials does not count).
    func fail(_ id: Int64, reason: String, nextAttemptAt: Date, countsAsAttempt: Bool, fence: LeaseFence?, at now: Date) async throws

    /// `processing` → `dead`, for a permanent failure or the last allowed attempt; `attempts` grows by one.
    func kill(_ id: Int64, reason: String, fence: LeaseFence?, at now: Date) async throws

    /// At start-up: every `received`, `failed` or `processing` item whose platform timestamp
    /// is before `cutoff` becomes `expired`.
    /// - Returns: how many expired.
    func expire(before cutoff: Date, at now: Date) async throws -> Int

    /// At start-up: every `processing` item (a worker of an earlier run) becomes `received`.
    /// Only for a store one host uses alone; hosts sharing a store release their own
    /// (``releaseLeases(ownedBy:at:)``).
    /// - Returns: how many were released.
    func releaseAllLeases(at now: Date) async throws -> Int

    /// At start-up: every `processing` item whose lease `owner` holds (this host's earlier
    /// run) becomes `received`; other hosts' leases are left to expire.
    /// - Returns: how many were released.
    func releaseLeases(ownedBy owner: String, at now: Date) async throws -> Int

    /// Items that still need work — `received`, `failed`, and `processing` whose lease has
    /// expired — ordered by conversation, then platform timestamp, then id.
    func pending(at now: Date) async throws -> [InboxItem]

    /// The conversations a worker could take up now, by the id of each one's head: its oldest
    /// open (`received`, `failed` or `processing`) message by platform timestamp, then id,
    /// when that message is claimable now (`received`; `failed` and due; `processing` with a
    /// lapsed lease). A conversation whose head is under a live lease or waits for its next
    /// attempt gives nothing, and messages behind a head are not listed: a rescan reads only
    /// these, never the whole backlog, and the worker that finishes a head takes up the next
    /// (``openHead(of:)``). In no particular order.
    func claimableHeadIDs(at now: Date) async throws -> [Int64]

    /// The oldest open (`received`, `failed` or `processing`) message of a conversation, by
    /// platform timestamp then id, whatever its lease; `nil` when it has none.
    func openHead(of conversation: ConversationKey) async throws -> InboxItem?

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

    /// Per channel and state, for `states` only: how many items, and when the oldest was
    /// received. One aggregate read; a channel and state with no items is absent. Ordered by
    /// channel, then state name.
    func inboxSummary(states: Set<InboxState>) async throws -> [InboxStateSummary]

    /// Replaces what the person typed in an item's event (text, quick-reply or postback
    /// payload and title) with ``InboundEvent/redactedText``, keeping everything else: for
    /// messages that must not be kept, such as verification codes and email addresses.
    /// - Returns: whether the item exists.
    func redact(_ id: Int64, at now: Date) async throws -> Bool
}

extension InboxStore {
    /// ``renewLease(_:until:fence:at:)`` without a fence.
    public func renewLease(_ id: Int64, until: Date, at now: Date) async throws {
        try await renewLease(id, until: until, fence: nil, at: now)
    }

    /// ``complete(_:fence:at:)`` without a fence.
    public func complete(_ id: Int64, at now: Date) async throws {
        try await complete(id, fence: nil, at: now)
    }

    /// ``fail(_:reason:nextAttemptAt:countsAsAttempt:fence:at:)`` without a fence.
    public func fail(_ id: Int64, reason: String, nextAttemptAt: Date, countsAsAttempt: Bool, at now: Date) async throws {
        try await fail(id, reason: reason, nextAttemptAt: nextAttemptAt, countsAsAttempt: countsAsAttempt, fence: nil, at: now)
    }

    /// ``kill(_:reason:fence:at:)`` without a fence.
    public func kill(_ id: Int64, reason: String, at now: Date) async throws {
        try await kill(id, reason: reason, fence: nil, at: now)
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
