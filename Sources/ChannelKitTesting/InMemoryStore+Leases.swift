import ChannelKit
import Foundation

// MARK: - The pipeline's claim, fences and leases by owner (see ``InboxStore/claimHead(_:owner:leaseUntil:at:)``).

extension InMemoryStore {
    public func claimHead(_ id: Int64, owner: String, leaseUntil: Date, at now: Date) -> HeadClaim {
        guard let item = items[id], !item.state.isTerminal else { return .finished }
        let key = item.event.conversation
        let earlier = items.values.filter { other in
            other.id != id && !other.state.isTerminal && other.event.conversation == key
                && (other.event.timestamp, other.id) < (item.event.timestamp, item.id)
        }
        if let blocker = earlier.min(by: { ($0.event.timestamp, $0.id) < ($1.event.timestamp, $1.id) }) {
            return .waiting(until: Self.claimableAt(blocker, at: now))
        }
        guard Self.isClaimable(item, at: now) else { return .waiting(until: Self.claimableAt(item, at: now)) }
        var claimed = take(item, owner: owner, leaseUntil: leaseUntil, at: now)
        claimed.controlReading = ConversationControlReading(stored: sharedValue(scope: ConversationControl.scope,
                                                                                key: key.storeKey, at: now))
        return .claimed(claimed)
    }

    public func claimableHeadIDs(at now: Date) -> [Int64] {
        var heads: [ConversationKey: InboxItem] = [:]
        for item in items.values where !item.state.isTerminal {
            let key = item.event.conversation
            if let head = heads[key], (head.event.timestamp, head.id) < (item.event.timestamp, item.id) { continue }
            heads[key] = item
        }
        return heads.values.filter { Self.isClaimable($0, at: now) }.map(\.id)
    }

    public func openHead(of conversation: ConversationKey) -> InboxItem? {
        items.values.filter { !$0.state.isTerminal && $0.event.conversation == conversation }
            .min { ($0.event.timestamp, $0.id) < ($1.event.timestamp, $1.id) }
    }

    /// When a non-terminal item can next be claimed: now, its due time, or its lease's end.
    static func claimableAt(_ item: InboxItem, at now: Date) -> Date {
        switch item.state {
        case .failed: max(now, item.nextAttemptAt ?? now)
        case .processing: max(now, item.leaseExpiresAt ?? now)
        default: now
        }
    }

    func take(_ claimed: InboxItem, owner: String?, leaseUntil: Date, at now: Date) -> InboxItem {
        var item = claimed
        item.state = .processing
        item.leaseExpiresAt = leaseUntil
        item.nextAttemptAt = nil
        item.updatedAt = now
        item.unfinishedClaims += 1
        item.claimEpoch += 1
        item.leaseOwner = owner
        items[item.id] = item
        return item
    }

    public func releaseLeases(ownedBy owner: String, at now: Date) -> Int {
        releaseLeases(where: { $0.leaseOwner == owner }, at: now)
    }

    /// Throws `leaseLost` when the fenced item was claimed again since (or is no longer processing).
    func checkFence(_ fence: LeaseFence?, for action: String) throws {
        guard let fence else { return }
        guard let item = items[fence.itemID], item.state == .processing, item.claimEpoch == fence.epoch else {
            throw StoreError(.leaseLost, "cannot \(action): the lease of inbox item \(fence.itemID) (epoch \(fence.epoch)) was lost")
        }
    }
}
