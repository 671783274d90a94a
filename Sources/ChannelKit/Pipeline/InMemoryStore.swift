/// An inbox and conversation store kept in memory.
///
/// Deduplication keys are kept for the most recent `dedupCapacity` events (Meta redelivers
/// for hours, not forever); conversation history keeps `historyCapacity` turns per
/// conversation. Everything is lost on restart — the durable store replaces it.
public actor InMemoryStore: InboxStore, ConversationStore {
    private struct Key: Hashable {
        var channel: String
        var platformMessageID: String
    }

    private let dedupCapacity: Int
    private let historyCapacity: Int
    private var seen: Set<Key> = []
    private var seenOrder: [Key] = []
    private var seenHead = 0
    private var outcomes: [Key: InboxOutcome] = [:]
    private var turns: [ConversationKey: [ConversationTurn]] = [:]

    /// Creates a store.
    /// - Parameters:
    ///   - dedupCapacity: how many recent event keys are remembered for deduplication.
    ///   - historyCapacity: how many turns are kept per conversation.
    public init(dedupCapacity: Int = 200_000, historyCapacity: Int = 200) {
        self.dedupCapacity = max(1, dedupCapacity)
        self.historyCapacity = max(1, historyCapacity)
    }

    public func accept(_ events: [InboundEvent]) -> [InboundEvent] {
        var fresh: [InboundEvent] = []
        for event in events {
            let key = Key(channel: event.channel, platformMessageID: event.platformMessageID)
            guard seen.insert(key).inserted else { continue }
            seenOrder.append(key)
            if seenOrder.count - seenHead > dedupCapacity {
                let evicted = seenOrder[seenHead]
                seen.remove(evicted)
                outcomes[evicted] = nil
                seenHead += 1
                if seenHead > dedupCapacity {   // compact now and then
                    seenOrder.removeFirst(seenHead)
                    seenHead = 0
                }
            }
            fresh.append(event)
        }
        return fresh
    }

    public func complete(_ event: InboundEvent, outcome: InboxOutcome) {
        let key = Key(channel: event.channel, platformMessageID: event.platformMessageID)
        if seen.contains(key) { outcomes[key] = outcome }
    }

    /// How an event ended, if it was accepted and has ended.
    public func outcome(channel: String, platformMessageID: String) -> InboxOutcome? {
        outcomes[Key(channel: channel, platformMessageID: platformMessageID)]
    }

    public func history(of conversation: ConversationKey, limit: Int) -> [ConversationTurn] {
        guard limit > 0 else { return [] }
        return Array((turns[conversation] ?? []).suffix(limit))
    }

    public func append(_ newTurns: [ConversationTurn], to conversation: ConversationKey) {
        var list = turns[conversation] ?? []
        list.append(contentsOf: newTurns)
        if list.count > historyCapacity { list.removeFirst(list.count - historyCapacity) }
        turns[conversation] = list
    }
}
