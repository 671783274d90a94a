/// What a Meta sandbox remembers, bounded: one sequence numbering everything, each user's
/// conversation (the page's thread) and the outbox of Send API calls (what tests read).
///
/// ```swift
/// var records = SandboxRecords<ThreadItem, OutboxItem>(historyLimit: 1_000, conversationLimit: 1_000, outboxLimit: 50_000)
/// records.record(item, for: user)        // numbered, oldest dropped past the limits
/// records.appendOutbox(OutboxItem(seq: records.nextSequence(), …))
/// ```
public struct SandboxRecords<Entry: SandboxSequenced, Sent: Sendable>: Sendable {
    /// Entries kept per conversation.
    public let historyLimit: Int
    /// Conversations kept; past it the one quiet longest is forgotten.
    public let conversationLimit: Int
    /// Send API calls kept.
    public let outboxLimit: Int
    /// The last sequence number handed out.
    public private(set) var sequence = 0
    /// Each user's conversation, oldest first.
    public private(set) var conversations: [String: [Entry]] = [:]
    /// Send API calls, in arrival order.
    public private(set) var outbox: [Sent] = []

    /// Creates empty records.
    public init(historyLimit: Int, conversationLimit: Int, outboxLimit: Int) {
        self.historyLimit = historyLimit
        self.conversationLimit = conversationLimit
        self.outboxLimit = outboxLimit
    }

    /// The next sequence number.
    public mutating func nextSequence() -> Int {
        sequence += 1
        return sequence
    }

    /// Appends to a user's conversation with a fresh sequence number, keeping the bounds.
    public mutating func record(_ entry: Entry, for user: String) {
        var entry = entry
        entry.seq = nextSequence()
        if conversations[user] == nil, conversations.count >= conversationLimit {
            // Forget the conversation that has been quiet longest.
            if let stalest = conversations.min(by: { ($0.value.last?.seq ?? 0) < ($1.value.last?.seq ?? 0) })?.key {
                conversations[stalest] = nil
            }
        }
        conversations[user, default: []].append(entry)
        if let count = conversations[user]?.count, count > historyLimit {
            conversations[user]?.removeFirst(count - historyLimit)
        }
    }

    /// Appends a Send API call, dropping the oldest past the limit.
    public mutating func appendOutbox(_ item: Sent) {
        outbox.append(item)
        if outbox.count > outboxLimit { outbox.removeFirst(outbox.count - outboxLimit) }
    }

    /// Forgets everything and restarts the sequence.
    public mutating func reset() {
        sequence = 0
        conversations = [:]
        outbox = []
    }
}

/// An entry numbered by ``SandboxRecords``.
public protocol SandboxSequenced: Sendable {
    /// The entry's sequence number.
    var seq: Int { get set }
}
