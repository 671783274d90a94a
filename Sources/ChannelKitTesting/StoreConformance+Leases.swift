import ChannelKit
import Foundation
import Testing

extension StoreConformance {
    /// The pipeline's claim takes a conversation's oldest open message only: later ones wait
    /// behind it — received, processing under a lease, or failed until its next attempt — and
    /// other conversations go on. When to ask again comes with the answer.
    static func headClaims(_ store: any PipelineStore) async throws {
        let first = try await accepted(store, text("h1", from: "u1", at: 1))
        let second = try await accepted(store, text("h2", from: "u1", at: 2))
        let other = try await accepted(store, text("h3", from: "u2", at: 3))
        #expect(try await store.claimHead(second.id, owner: "a", leaseUntil: t(60), at: t(10)) == .waiting(until: t(10)),
                "behind a received message: ask again now")
        #expect(try await store.claimHead(other.id, owner: "a", leaseUntil: t(60), at: t(10)).claimedItem?.id == other.id,
                "another conversation goes on")
        let claimed = try #require(try await store.claimHead(first.id, owner: "a", leaseUntil: t(60), at: t(10)).claimedItem)
        #expect(claimed.state == .processing && claimed.leaseOwner == "a" && claimed.claimEpoch == 1 && claimed.unfinishedClaims == 1)
        #expect(try await store.claimHead(first.id, owner: "b", leaseUntil: t(70), at: t(11)) == .waiting(until: t(60)),
                "held by a live lease: ask again when it ends")
        #expect(try await store.claimHead(second.id, owner: "b", leaseUntil: t(70), at: t(11)) == .waiting(until: t(60)))

        // A failed head pins the conversation until its next attempt, durably.
        try await store.fail(first.id, reason: "x", nextAttemptAt: t(50), countsAsAttempt: true, at: t(12))
        #expect(try await store.claimHead(second.id, owner: "b", leaseUntil: t(70), at: t(13)) == .waiting(until: t(50)))
        #expect(try await store.claimHead(first.id, owner: "b", leaseUntil: t(70), at: t(13)) == .waiting(until: t(50)))
        #expect(try await store.claimableHeadIDs(at: t(13)).isEmpty, "a head not due, and one under a live lease, are not claimable")
        #expect(try await store.claimableHeadIDs(at: t(50)) == [first.id], "the head once due; never the message behind it")
        let again = try #require(try await store.claimHead(first.id, owner: "b", leaseUntil: t(110), at: t(50)).claimedItem)
        #expect(again.claimEpoch == 2 && again.leaseOwner == "b", "every claim adds one to the epoch")
        try await store.complete(first.id, at: t(51))
        #expect(try await store.claimHead(first.id, owner: "b", leaseUntil: t(110), at: t(52)) == .finished)
        #expect(try await store.claimHead(second.id, owner: "b", leaseUntil: t(110), at: t(52)).claimedItem?.id == second.id,
                "the next message goes once the head is finished")
        #expect(try await store.claimHead(9_999_999, owner: "b", leaseUntil: t(110), at: t(52)) == .finished)

        // A lapsed lease is taken over.
        let lapsed = try #require(try await store.claimHead(second.id, owner: "c", leaseUntil: t(200), at: t(110)).claimedItem)
        #expect(lapsed.claimEpoch == second.claimEpoch + 2 && lapsed.leaseOwner == "c")
        // Equal timestamps: the lower id first.
        let tieA = try await accepted(store, text("t1", from: "u3", at: 5))
        let tieB = try await accepted(store, text("t2", from: "u3", at: 5))
        #expect(try await store.claimHead(tieB.id, owner: "a", leaseUntil: t(60), at: t(10)) == .waiting(until: t(10)))
        #expect(try await store.claimHead(tieA.id, owner: "a", leaseUntil: t(60), at: t(10)).claimedItem != nil)
    }

    /// A worker whose lease was taken over writes nothing: every fenced write is refused with
    /// `leaseLost` and changes nothing; the new holder's writes go through.
    static func fencing(_ store: any PipelineStore) async throws {
        let item = try await accepted(store, text("f1"))
        let old = try #require(try await store.claimHead(item.id, owner: "a", leaseUntil: t(10), at: t(1)).claimedItem)
        let oldFence = LeaseFence(old)
        _ = try await store.recordReply(for: item.id, parts: [OutboundMessage(text: "one"), OutboundMessage(text: "two")],
                                        conversation: conversation, turns: [], fence: oldFence, at: t(2))
        let new = try #require(try await store.claimHead(item.id, owner: "b", leaseUntil: t(100), at: t(20)).claimedItem)
        let newFence = LeaseFence(new)
        #expect(newFence.epoch == oldFence.epoch + 1)
        let part = "\(item.id).0"
        let lost: [FencedWrite] = [
            FencedWrite("renewLease") { try await store.renewLease(item.id, until: t(500), fence: oldFence, at: t(21)) },
            FencedWrite("complete") { try await store.complete(item.id, fence: oldFence, at: t(21)) },
            FencedWrite("fail") { try await store.fail(item.id, reason: "x", nextAttemptAt: t(30), countsAsAttempt: true, fence: oldFence, at: t(21)) },
            FencedWrite("kill") { try await store.kill(item.id, reason: "x", fence: oldFence, at: t(21)) },
            FencedWrite("markSent") { try await store.markSent(part, platformMessageID: "m", fence: oldFence, at: t(21)) },
            FencedWrite("markFailed") { try await store.markFailed(part, reason: "x", fence: oldFence, at: t(21)) },
            FencedWrite("markSentAndComplete") {
                try await store.markSentAndComplete(part, platformMessageID: "m", inboxID: item.id, fence: oldFence, at: t(21))
            },
            FencedWrite("replaceRefusedPart") {
                _ = try await store.replaceRefusedPart(part, with: [OutboundMessage(text: "o")], reason: "x", abandoningRest: false,
                                                       fence: oldFence, at: t(21))
            },
            FencedWrite("recordReply") {
                _ = try await store.recordReply(for: item.id, parts: [OutboundMessage(text: "x")], conversation: conversation,
                                                turns: [], fence: oldFence, at: t(21))
            },
        ]
        for write in lost {
            await expectStoreError(.leaseLost, "\(write.name) with a lost lease", write.run)
        }
        let unchanged = try #require(try await store.item(item.id))
        #expect(unchanged.state == .processing && unchanged.leaseExpiresAt == t(100) && unchanged.claimEpoch == newFence.epoch)
        #expect(try await store.parts(for: item.id).map(\.state) == [.pending, .pending], "no part changed")

        try await store.renewLease(item.id, until: t(150), fence: newFence, at: t(22))
        try await store.markSent(part, platformMessageID: "m0", fence: newFence, at: t(23))
        try await store.markSentAndComplete("\(item.id).1", platformMessageID: "m1", inboxID: item.id, fence: newFence, at: t(24))
        #expect(try await store.item(item.id)?.state == .done)
        await expectStoreError(.leaseLost, "a write after the item is done") {
            try await store.complete(item.id, fence: newFence, at: t(25))
        }
    }

    /// A host releases the leases of its own earlier run at start, and no other host's.
    static func releaseOwnLeases(_ store: any PipelineStore) async throws {
        let mine = try await accepted(store, text("r1", from: "u1"))
        let theirs = try await accepted(store, text("r2", from: "u2"))
        _ = try await store.claimHead(mine.id, owner: "host-a", leaseUntil: t(100), at: t(1))
        _ = try await store.claimHead(theirs.id, owner: "host-b", leaseUntil: t(100), at: t(1))
        #expect(try await store.releaseLeases(ownedBy: "host-a", at: t(2)) == 1)
        #expect(try await store.item(mine.id)?.state == .received)
        let kept = try #require(try await store.item(theirs.id))
        #expect(kept.state == .processing && kept.leaseOwner == "host-b" && kept.leaseExpiresAt == t(100))
        #expect(try await store.item(mine.id)?.unfinishedClaims == 1, "a released claim still counts as unfinished")
    }
}

/// One of a worker's writes, named, for the fencing scenario.
struct FencedWrite: Sendable {
    let name: String
    let run: @Sendable () async throws -> Void

    init(_ name: String, _ run: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.run = run
    }
}

extension HeadClaim {
    /// The claimed item, if claimed.
    var claimedItem: InboxItem? {
        if case .claimed(let item) = self { return item }
        return nil
    }
}
