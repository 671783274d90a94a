import ChannelKit
import Foundation
import Logging
import Synchronization
import Tracing

// MARK: - One event: claimed under a lease the store can fence, kept while the work runs.

extension Pipeline {
    /// A worker id for a pipeline that was given none: this machine's name and this process.
    /// A host passes one that stays the same across restarts (see ``Options/workerID``).
    public static var defaultWorkerID: String {
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// Claims and answers one queued item.
    /// - Parameter found: the store pointed to the item (a rescan, a conversation's next
    ///   message): messages behind it may be known to the store alone, so the conversation's
    ///   next one is taken up after it. On a shared store that is so for every item.
    func process(_ queued: InboxItem, found: Bool) async -> ConversationDispatcher.Verdict {
        var logger = self.logger
        logger[metadataKey: "channel"] = "\(queued.event.channel)"
        logger[metadataKey: "inbox_id"] = "\(queued.id)"
        let start = now()
        let item: InboxItem
        do {
            switch try await store.claimHead(queued.id, owner: options.workerID,
                                             leaseUntil: start.addingTimeInterval(options.lease.seconds), at: start) {
            case .claimed(let claimed):
                item = claimed
            case .finished:
                return .finished   // done, dropped or finished by another worker meanwhile
            case .waiting(let until):
                // Behind an earlier message of the conversation, or held by another worker (on
                // another host): ask again when that may be over, and at least every poll interval.
                // An earlier message nobody holds (its host stopped) is taken up here.
                if until <= start, options.sharedStore || found { await takeUpHead(of: queued.event.conversation, logger: logger) }
                let poll = start.addingTimeInterval(options.claimPollInterval.seconds)
                return .retry(at: until > start ? min(until, poll) : poll)
            }
        } catch {
            logger.warning("store unavailable; will try again", metadata: ["error": "\(error)"])
            return .retry(at: start.addingTimeInterval(5))
        }
        let event = item.event
        guard let (channel, generation) = channels.withLock({ $0[event.channel] }) else {
            try? await store.kill(item.id, reason: "no channel named \(event.channel) is configured", fence: LeaseFence(item), at: now())
            return .finished
        }
        if item.unfinishedClaims - 1 > options.maxInterruptedClaims {
            return await giveUp(onPoison: item, channel: channel, logger: logger)
        }
        let workLogger = logger
        // The trace the message was accepted in goes on here, on whichever host claimed it.
        let verdict = await tracing.span("process", parent: .stored(item.traceContext), kind: .consumer, attributes: { attributes in
            attributes["sandra.channel"] = event.channel
            attributes["sandra.inbox_id"] = item.id
            attributes["sandra.attempt"] = item.attempts + 1
        }) { _ in
            await withLease(of: item, logger: logger) {
                await self.answer(item, channel: channel, generation: generation, logger: workLogger)
            }
        }
        if Task.isCancelled {
            // A graceful shutdown cut the answer short: the claim ends here, so that it is not
            // counted as one the host died in. The item is taken up again at the next start.
            try? await store.fail(item.id, reason: "interrupted by shutdown", nextAttemptAt: now(), countsAsAttempt: false,
                                  fence: LeaseFence(item), at: now())
        } else if case .finished = verdict, options.sharedStore || found {
            await takeUpHead(of: event.conversation, logger: logger)
        }
        return verdict
    }

    /// Queues the conversation's oldest open message here (as found), unless it is queued
    /// already: after finishing a message, the next one — on a shared store wherever it was
    /// accepted (its host may be busy or gone), on a store of this host's one an operator
    /// retried; behind an earlier message nobody holds, that message. Without this, such a
    /// message would wait for a rescan, one rescan per message.
    private func takeUpHead(of conversation: ConversationKey, logger: Logger) async {
        do {
            if let head = try await store.openHead(of: conversation) {
                await dispatcher.enqueue([head], found: true)   // ignored when queued or in flight here
            }
        } catch {
            // The accepting host's poll, or the next rescan, takes it up.
            logger.warning("the conversation's next message could not be read", metadata: ["error": "\(error)"])
        }
    }

    /// Runs `work` while renewing the item's lease every third of its length; when the store
    /// says the lease was lost (the host stalled past it and another worker took the item over),
    /// `work` is cancelled, and sends nothing more.
    private func withLease(of item: InboxItem, logger: Logger,
                           _ work: @escaping @Sendable () async -> ConversationDispatcher.Verdict) async -> ConversationDispatcher.Verdict {
        await withTaskGroup(of: LeaseOutcome.self) { group in
            group.addTask { .finished(await work()) }
            group.addTask { await self.keepLease(of: item, logger: logger) }
            var verdict = ConversationDispatcher.Verdict.finished
            while let outcome = await group.next() {
                switch outcome {
                case .finished(let result):
                    verdict = result
                    group.cancelAll()
                case .lost:
                    group.cancelAll()
                case .stopped:
                    break
                }
            }
            return verdict
        }
    }

    /// Renews the lease until cancelled (`.stopped`) or lost (`.lost`).
    private func keepLease(of item: InboxItem, logger: Logger) async -> LeaseOutcome {
        let fence = LeaseFence(item)
        let interval = options.lease / 3
        while true {
            do { try await Task.sleep(for: interval) } catch { return .stopped }
            let clock = now()
            do {
                try await store.renewLease(item.id, until: clock.addingTimeInterval(options.lease.seconds), fence: fence, at: clock)
            } catch let error as StoreError where error.code == .leaseLost {
                logger.warning("the lease was lost: another worker took this message over; this one stops")
                return .lost
            } catch {
                // The store is unreachable: keep working; the write that records the outcome
                // is fenced, so a worker that lost the lease meanwhile still changes nothing.
                logger.warning("lease not renewed", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// How the two halves of a claimed item's work ended.
enum LeaseOutcome: Sendable {
    /// The answer's verdict.
    case finished(ConversationDispatcher.Verdict)
    /// The lease was lost.
    case lost
    /// The lease keeper was stopped (the answer is done).
    case stopped
}
