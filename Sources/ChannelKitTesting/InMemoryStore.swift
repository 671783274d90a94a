import ChannelKit
import Foundation

/// A complete ``PipelineStore`` and ``IdentityStore`` kept in memory: the inbox, the outbox,
/// conversation history, and identity linking's profiles, links, pending codes and audit log.
///
/// Every method is atomic (the actor runs one at a time and none suspends). Everything is
/// lost on restart — the SQLite store is the durable one; this one serves tests and
/// `store: memory` set-ups.
///
/// **Bounds.** Deduplication keys are never forgotten while the process lives, except by one
/// documented bound: the store keeps the `dedupCapacity` (default 200,000) most recently
/// accepted items. When a new item pushes it over, the oldest items in a terminal state
/// (`done`, `dead`, `expired`, `ignored`, `dropped`) are forgotten together with their key
/// and outbox parts; items in a non-terminal state (`received`, `processing`, `failed`) are
/// never forgotten, even when that means holding more than `dedupCapacity`. Conversation
/// history keeps the last `historyCapacity` (default 200) turns of each conversation.
public actor InMemoryStore: PipelineStore, IdentityStore, ChannelSettingsStore, PrivacyStore {
    struct Key: Hashable {
        var channel: String
        var platformMessageID: String
    }

    /// A turn and its place in the order of every append, across conversations.
    struct StoredTurn {
        var sequence: Int64
        var turn: ConversationTurn
    }

    private let dedupCapacity: Int
    private let historyCapacity: Int

    private var nextID: Int64 = 1
    var items: [Int64: InboxItem] = [:]
    var keys: [Key: Int64] = [:]
    /// Item ids, oldest accepted first (from `orderHead` on); the eviction order.
    private var order: [Int64] = []
    private var orderHead = 0
    var outbox: [Int64: [OutboxPart]] = [:]
    var turns: [ConversationKey: [StoredTurn]] = [:]
    /// The id each recorded id of a person is keyed on, by channel (see ``PersonAliases``).
    var personKeys: [ChannelIdentity: String] = [:]
    private var nextTurnSequence: Int64 = 1
    /// Identity linking's tables (see InMemoryStore+Identity.swift).
    var identityTables = InMemoryIdentityTables()
    /// Operators' saved channel settings, by channel and key.
    var settingOverrides: [String: [String: StoredSetting]] = [:]
    /// Recorded erasures, by confirmation code (see InMemoryStore+Privacy.swift).
    var erasures: [String: ErasureRecord] = [:]
    /// Shared state, by scope and key (see InMemoryStore+SharedState.swift).
    var sharedValues: [String: [String: (value: String, expiresAt: Date?, updatedAt: Date)]] = [:]

    /// Creates an empty store.
    /// - Parameters:
    ///   - dedupCapacity: how many of the most recent items (and so deduplication keys) are kept
    ///     at least; see the type's documentation for what is forgotten beyond it.
    ///   - historyCapacity: how many turns are kept per conversation.
    public init(dedupCapacity: Int = 200_000, historyCapacity: Int = 200) {
        self.dedupCapacity = max(1, dedupCapacity)
        self.historyCapacity = max(1, historyCapacity)
    }

    // MARK: - InboxStore

    public func accept(_ events: [InboundEvent], at now: Date) -> [InboxItem] {
        accept(events, traceContext: nil, at: now)
    }

    public func accept(_ events: [InboundEvent], traceContext: String?, at now: Date) -> [InboxItem] {
        var created: [InboxItem] = []
        for incoming in events {
            let key = Key(channel: incoming.channel, platformMessageID: incoming.platformMessageID)
            guard keys[key] == nil else { continue }
            let event = keyOnKnownPerson(incoming)
            let id = nextID
            nextID += 1
            let item = InboxItem(id: id, event: event, state: event.takesTurn ? .received : .ignored,
                                 receivedAt: now, updatedAt: now, traceContext: traceContext)
            items[id] = item
            keys[key] = id
            order.append(id)
            created.append(item)
        }
        if !created.isEmpty { evictBeyondCapacity() }
        return created
    }

    /// The event keyed on the id the store knows its sender by; the event's ids recorded as theirs.
    private func keyOnKnownPerson(_ event: InboundEvent) -> InboundEvent {
        let ids = PersonAliases.ids(of: event)
        let person = PersonAliases.key(
            for: ids,
            recorded: { personKeys[ChannelIdentity(channel: event.channel, userID: $0)] },
            known: { id in
                let identity = ChannelIdentity(channel: event.channel, userID: id)
                return identityTables.profile(for: identity) != nil
                    || turns.keys.contains { $0.channel == event.channel && $0.userID == id }
            })
        if ids.count > 1 {
            for id in ids where personKeys[ChannelIdentity(channel: event.channel, userID: id)] == nil {
                personKeys[ChannelIdentity(channel: event.channel, userID: id)] = person
            }
        }
        return PersonAliases.rekeyed(event, on: person)
    }

    public func claim(_ id: Int64, leaseUntil: Date, at now: Date) -> InboxItem? {
        guard let item = items[id], Self.isClaimable(item, at: now) else { return nil }
        return take(item, owner: nil, leaseUntil: leaseUntil, at: now)
    }

    public func renewLease(_ id: Int64, until: Date, fence: LeaseFence?, at now: Date) throws {
        var item = try processingItem(id, for: "renew the lease of", fence: fence)
        item.leaseExpiresAt = until
        item.updatedAt = now
        items[id] = item
    }

    public func complete(_ id: Int64, fence: LeaseFence?, at now: Date) throws {
        var item = try processingItem(id, for: "complete", fence: fence)
        item.state = .done
        item.leaseExpiresAt = nil
        item.nextAttemptAt = nil
        item.updatedAt = now
        item.unfinishedClaims = 0
        items[id] = item
    }

    public func fail(_ id: Int64, reason: String, nextAttemptAt: Date, countsAsAttempt: Bool, fence: LeaseFence?, at now: Date) throws {
        var item = try processingItem(id, for: "fail", fence: fence)
        item.state = .failed
        if countsAsAttempt { item.attempts += 1 }
        item.nextAttemptAt = nextAttemptAt
        item.leaseExpiresAt = nil
        item.lastError = reason
        item.updatedAt = now
        item.unfinishedClaims = 0
        items[id] = item
    }

    public func kill(_ id: Int64, reason: String, fence: LeaseFence?, at now: Date) throws {
        var item = try processingItem(id, for: "kill", fence: fence)
        item.state = .dead
        item.attempts += 1
        item.nextAttemptAt = nil
        item.leaseExpiresAt = nil
        item.lastError = reason
        item.updatedAt = now
        item.unfinishedClaims = 0
        items[id] = item
    }

    public func expire(before cutoff: Date, at now: Date) -> Int {
        var expired = 0
        for (id, var item) in items where [.received, .failed, .processing].contains(item.state) && item.event.timestamp < cutoff {
            item.state = .expired
            item.leaseExpiresAt = nil
            item.nextAttemptAt = nil
            item.updatedAt = now
            items[id] = item
            expired += 1
        }
        return expired
    }

    public func releaseAllLeases(at now: Date) -> Int {
        releaseLeases(where: { _ in true }, at: now)
    }

    func releaseLeases(where held: (InboxItem) -> Bool, at now: Date) -> Int {
        var released = 0
        for (id, var item) in items where item.state == .processing && held(item) {
            item.state = .received
            item.leaseExpiresAt = nil
            item.updatedAt = now
            items[id] = item
            released += 1
        }
        return released
    }

    public func pending(at now: Date) -> [InboxItem] {
        items.values.filter { item in
            switch item.state {
            case .received, .failed: true
            case .processing: Self.leaseExpired(item, at: now)
            case .done, .dead, .expired, .ignored, .dropped: false
            }
        }.sorted(by: Self.pendingOrder)
    }

    public func items(in states: Set<InboxState>, limit: Int) -> [InboxItem] {
        guard limit > 0, !states.isEmpty else { return [] }
        return Array(items.values.filter { states.contains($0.state) }.sorted { $0.id < $1.id }.prefix(limit))
    }

    public func item(_ id: Int64) -> InboxItem? {
        items[id]
    }

    public func retry(_ id: Int64, at now: Date) -> Bool {
        guard var item = items[id] else { return false }
        switch item.state {
        case .failed, .dead, .expired: break
        case .processing where Self.leaseExpired(item, at: now): break
        default: return false
        }
        item.state = .received
        item.attempts = 0
        item.nextAttemptAt = nil
        item.leaseExpiresAt = nil
        item.lastError = nil
        item.unfinishedClaims = 0
        item.updatedAt = now
        items[id] = item
        return true
    }

    public func drop(_ id: Int64, at now: Date) -> Bool {
        guard var item = items[id], item.state != .done, item.state != .dropped else { return false }
        item.state = .dropped
        item.nextAttemptAt = nil
        item.leaseExpiresAt = nil
        item.unfinishedClaims = 0
        item.updatedAt = now
        items[id] = item
        return true
    }

    public func redact(_ id: Int64, at now: Date) -> Bool {
        guard var item = items[id] else { return false }
        item.event = item.event.redacted
        item.updatedAt = now
        items[id] = item
        return true
    }

    public func counts() -> [InboxState: Int] {
        var counts = Dictionary(uniqueKeysWithValues: InboxState.allCases.map { ($0, 0) })
        for item in items.values { counts[item.state, default: 0] += 1 }
        return counts
    }

    public func countsByChannel() -> [String: [InboxState: Int]] {
        var counts: [String: [InboxState: Int]] = [:]
        for item in items.values {
            counts[item.event.channel, default: Dictionary(uniqueKeysWithValues: InboxState.allCases.map { ($0, 0) })][item.state, default: 0] += 1
        }
        return counts
    }

    // MARK: - ConversationStore

    public func recentConversations(limit: Int) -> [ConversationActivity] {
        turns.compactMap { key, list in list.last.map { (key, $0) } }
            .sorted { $0.1.sequence > $1.1.sequence }
            .prefix(max(0, limit))
            .map { ConversationActivity(conversation: $0.0, lastTurn: $0.1.turn) }
    }

    public func history(of conversation: ConversationKey, limit: Int) -> [ConversationTurn] {
        guard limit > 0 else { return [] }
        return (turns[conversation] ?? []).suffix(limit).map(\.turn)
    }

    public func sharedHistory(of people: [ChannelIdentity], limit: Int) -> [ConversationTurn] {
        guard limit > 0, !people.isEmpty else { return [] }
        let wanted = Set(people)
        let merged = turns.filter { wanted.contains(ChannelIdentity(channel: $0.key.channel, userID: $0.key.userID)) }
            .values.joined()
            .sorted { ($0.turn.timestamp, $0.sequence) < ($1.turn.timestamp, $1.sequence) }
        return merged.suffix(limit).map(\.turn)
    }

    public func append(_ newTurns: [ConversationTurn], to conversation: ConversationKey) {
        guard !newTurns.isEmpty else { return }
        var list = turns[conversation] ?? []
        for turn in newTurns {
            list.append(StoredTurn(sequence: nextTurnSequence, turn: turn))
            nextTurnSequence += 1
        }
        if list.count > historyCapacity { list.removeFirst(list.count - historyCapacity) }
        turns[conversation] = list
    }

    // MARK: - Helpers

    static func isClaimable(_ item: InboxItem, at now: Date) -> Bool {
        switch item.state {
        case .received: true
        case .failed: (item.nextAttemptAt ?? .distantPast) <= now
        case .processing: leaseExpired(item, at: now)
        case .done, .dead, .expired, .ignored, .dropped: false
        }
    }

    private static func leaseExpired(_ item: InboxItem, at now: Date) -> Bool {
        (item.leaseExpiresAt ?? .distantPast) <= now
    }

    /// Conversation (channel, account, sender — compared as UTF-8 bytes, as SQL's binary
    /// collation does), then platform timestamp, then id.
    private static func pendingOrder(_ a: InboxItem, _ b: InboxItem) -> Bool {
        let left = a.event, right = b.event
        if left.channel != right.channel { return left.channel.utf8.lexicographicallyPrecedes(right.channel.utf8) }
        if left.accountID != right.accountID { return left.accountID.utf8.lexicographicallyPrecedes(right.accountID.utf8) }
        if left.senderID != right.senderID { return left.senderID.utf8.lexicographicallyPrecedes(right.senderID.utf8) }
        if left.timestamp != right.timestamp { return left.timestamp < right.timestamp }
        return a.id < b.id
    }

    private func processingItem(_ id: Int64, for action: String, fence: LeaseFence?) throws -> InboxItem {
        guard let item = items[id] else {
            throw StoreError(.invalidTransition, "cannot \(action) inbox item \(id): no such item")
        }
        try checkFence(fence, for: "\(action) inbox item \(id)")
        guard item.state == .processing else {
            throw StoreError(.invalidTransition, "cannot \(action) inbox item \(id): it is \(item.state.rawValue), not processing")
        }
        return item
    }

    /// Forgets the oldest terminal items while more than `dedupCapacity` are held. Items in a
    /// non-terminal state move to the back of the eviction order instead.
    private func evictBeyondCapacity() {
        var budget = order.count - orderHead   // each held id is looked at once at most
        while items.count > dedupCapacity, orderHead < order.count, budget > 0 {
            budget -= 1
            let id = order[orderHead]
            orderHead += 1
            guard let item = items[id] else { continue }
            if item.state.isTerminal {
                items[id] = nil
                keys[Key(channel: item.event.channel, platformMessageID: item.event.platformMessageID)] = nil
                outbox[id] = nil
            } else {
                order.append(id)
            }
        }
        if orderHead > 1024, orderHead * 2 > order.count {
            order.removeFirst(orderHead)
            orderHead = 0
        }
    }
}
