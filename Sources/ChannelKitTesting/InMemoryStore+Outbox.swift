import ChannelKit
import Foundation

// MARK: - OutboxStore: a reply's parts, recorded with the turns, and what became of each.

extension InMemoryStore {
    public func recordReply(for inboxID: Int64, parts messages: [OutboundMessage], conversation: ConversationKey,
                            turns newTurns: [ConversationTurn], fence: LeaseFence?, at now: Date) throws -> [OutboxPart] {
        try checkFence(fence, for: "record the reply to inbox item \(inboxID)")
        if let existing = outbox[inboxID], !existing.isEmpty { return existing }
        guard let item = items[inboxID] else {
            throw StoreError(.invalidTransition, "no inbox item \(inboxID) to record a reply for")
        }
        // Only the worker answering the item records its reply: an item erased, dropped or
        // answered meanwhile keeps no new text.
        guard item.state == .processing else {
            throw StoreError(.invalidTransition, "inbox item \(inboxID) is \(item.state.rawValue), not processing: no reply is recorded")
        }
        let parts = messages.enumerated().map { index, message in
            OutboxPart(id: "\(inboxID).\(index)", inboxID: inboxID, index: index, message: message, state: .pending)
        }
        if !parts.isEmpty { outbox[inboxID] = parts }
        append(newTurns, to: conversation)
        return parts
    }

    public func parts(for inboxID: Int64) -> [OutboxPart] {
        outbox[inboxID] ?? []
    }

    public func markSent(_ partID: String, platformMessageID: String?, fence: LeaseFence?, at now: Date) throws {
        try checkFence(fence, for: "mark as sent outbox part \(partID)")
        try updatePendingPart(partID, for: "mark as sent") { part in
            part.state = .sent
            part.platformMessageID = platformMessageID
        }
    }

    public func markFailed(_ partID: String, reason: String, fence: LeaseFence?, at now: Date) throws {
        try checkFence(fence, for: "mark as failed outbox part \(partID)")
        try updatePendingPart(partID, for: "mark as failed") { part in
            part.state = .failed
            part.lastError = reason
        }
    }

    public func replaceRefusedPart(_ partID: String, with messages: [OutboundMessage], reason: String, abandoningRest: Bool,
                                   fence: LeaseFence?, at now: Date) throws -> [OutboxPart] {
        try checkFence(fence, for: "replace outbox part \(partID)")
        let (inboxID, index) = try pendingPart(partID, for: "replace")
        var parts = outbox[inboxID] ?? []
        parts[index].state = .failed
        parts[index].lastError = reason
        var later = Array(parts[(index + 1)...])
        if abandoningRest {
            for position in later.indices where later[position].state == .pending {
                later[position].state = .failed
                later[position].lastError = OutboxPart.abandonedReason
            }
        }
        let added = messages.map { OutboxPart(id: "", inboxID: inboxID, index: 0, message: $0, state: .pending) }
        parts = Array(parts[...index]) + added + later
        for position in parts.indices.dropFirst(index + 1) {
            parts[position].index = position
            parts[position].id = "\(inboxID).\(position)"
        }
        outbox[inboxID] = parts
        return parts
    }

    private func updatePendingPart(_ partID: String, for action: String, _ change: (inout OutboxPart) -> Void) throws {
        let (inboxID, index) = try pendingPart(partID, for: action)
        change(&outbox[inboxID, default: []][index])
    }

    /// Where a pending part is: its reply's inbox id and its index.
    private func pendingPart(_ partID: String, for action: String) throws -> (inboxID: Int64, index: Int) {
        guard let dot = partID.lastIndex(of: "."), let inboxID = Int64(partID[..<dot]),
              let index = Int(partID[partID.index(after: dot)...]),
              let parts = outbox[inboxID], parts.indices.contains(index) else {
            throw StoreError(.invalidTransition, "cannot \(action) outbox part \(partID): no such part")
        }
        guard parts[index].state == .pending else {
            throw StoreError(.invalidTransition, "cannot \(action) outbox part \(partID): it is \(parts[index].state.rawValue), not pending")
        }
        return (inboxID, index)
    }
}

// MARK: - Parts by the platform's message id (delivery statuses).

extension InMemoryStore {
    public func part(withPlatformMessageID platformMessageID: String) -> OutboxPart? {
        // The lowest inbox id first, as the stores' index returns it.
        for inboxID in outbox.keys.sorted() {
            if let part = outbox[inboxID]?.first(where: { $0.platformMessageID == platformMessageID }) { return part }
        }
        return nil
    }
}
