import ChannelKit
import Foundation
import Logging

// MARK: - Sending the recorded parts, in order, with retries by platform code.

extension Pipeline {
    /// Sends the parts not sent yet, in order, each with in-process retries; records each one
    /// sent, the last together with the message's completion.
    func deliver(_ parts: [OutboxPart], of item: InboxItem, through channel: any Channel, generation: Int,
                 logger: Logger) async -> ConversationDispatcher.Verdict {
        var parts = parts
        switch windowDecision(for: item, profile: channel.profile) {   // see Pipeline+Window
        case .open: break
        case .tagged(let tag): for index in parts.indices { parts[index].message.tag = tag }
        case .template(let template): return await holdForTemplate(parts, of: item, template: template, channel: channel, logger: logger)
        case .closed(let reason): return await refuseOutsideWindow(parts, of: item, reason: reason, channel: channel, logger: logger)
        }
        let fence = LeaseFence(item)
        let lastPending = parts.last(where: { $0.state == .pending })?.id
        var completed = false
        for part in parts where part.state == .pending {
            // The lease is renewed in the background meanwhile (see `keepLease`); once it is lost,
            // nothing more goes out.
            guard !Task.isCancelled else { return .finished }
            let receipt: SendReceipt
            switch await sender.send(part.message, index: part.index, to: item.event.recipient, through: channel, logger: logger) {
            case .sent(let sent):
                receipt = sent
            case .cancelled:
                return .finished   // shutdown or lease lost: the part stays pending for whoever holds the message next
            case .failed(let failure):
                return await settle(failure, sending: part, of: parts, item: item, channel: channel, generation: generation, logger: logger)
            }
            if await gate.resume(channel.name, at: now()) {
                // The probe went through: replies waiting for the channel here go now
                // (other hosts' go when their wait for the probe ends).
                await dispatcher.wakeParked(channel: channel.name, releasing: [])
            }
            observer.channelDelivered(channel: channel.name)
            // Sent: recorded before anything else goes out, the store reachable or not (else the
            // part would go again once it is back). The last part is recorded together with the
            // event's completion, in one write.
            let last = part.id == lastPending
            let recorded = await recordDone(last ? "sent part and answered event" : "sent part", logger: logger) {
                if last {
                    try await self.store.markSentAndComplete(part.id, platformMessageID: receipt.platformMessageID,
                                                             inboxID: item.id, fence: fence, at: self.now())
                } else {
                    try await self.store.markSent(part.id, platformMessageID: receipt.platformMessageID, fence: fence, at: self.now())
                }
            }
            switch recorded {
            case .recorded:
                completed = last
            case .leaseLost:
                logger.warning("another worker took this message over; this one sends nothing more", metadata: ["part": "\(part.id)"])
                return .finished
            case .abandoned:
                break
            }
        }
        if !completed {
            _ = await recordDone("answered event", logger: logger) {
                try await self.store.complete(item.id, fence: fence, at: self.now())
            }
        }
        observer.replyDelivered(channel: channel.name, parts: parts.count, seconds: now().timeIntervalSince(item.receivedAt))
        return .finished
    }

    /// What a part the platform would not take means for its message, by the failure's code:
    /// transient — a later attempt (or `dead` after the last); unauthorized — the channel
    /// pauses; refused as too long — split again or a short fallback; otherwise `dead`.
    private func settle(_ failure: ChannelError, sending part: OutboxPart, of parts: [OutboxPart], item: InboxItem,
                        channel: any Channel, generation: Int, logger: Logger) async -> ConversationDispatcher.Verdict {
        let fence = LeaseFence(item)
        switch failure.code {
        case .transient:
            // A long wait the platform asked for (usage limits) parks the event without
            // counting an attempt; exhausted retries count one.
            let throttled = (failure.retryAfter ?? .zero) > PartSender.longestInPlaceWait
            let nextAttempt = item.attempts + (throttled ? 0 : 1)
            if nextAttempt >= options.maxAttempts {
                logger.error("reply not delivered after every attempt; the event is dead", metadata: ["error": "\(failure)"])
                try? await store.kill(item.id, reason: failure.description, fence: fence, at: now())
                observer.replyFailed(channel: channel.name, error: failure)
                return .finished
            }
            let wait = max(options.retry.delay(afterAttempt: nextAttempt + 1), failure.retryAfter ?? .zero, .seconds(1))
            return await park(item, until: now().addingTimeInterval(wait.seconds), reason: failure.description,
                              countsAsAttempt: !throttled, logger: logger)
        case .unauthorized:
            let until = now().addingTimeInterval(options.unauthorizedPause.seconds)
            guard pauseUnlessReplaced(channel.name, generation: generation, until: until) else {
                // The channel was replaced (new credentials) while this send used the
                // old ones: no pause; the part goes again through the new channel now.
                logger.info("send refused with the replaced channel's credentials; retrying with the new ones")
                return await park(item, until: now(), reason: failure.description, countsAsAttempt: false, logger: logger)
            }
            await gate.share(channel.name, pausedUntil: until, at: now())
            logger.error("the platform refused the channel's access token; sends pause until it is replaced",
                         metadata: ["error": "\(failure)", "pause_s": "\(Int(options.unauthorizedPause.seconds))"])
            observer.channelUnauthorized(channel: channel.name, error: failure)
            return await waitForChannel(item, until: until, reason: failure.description, logger: logger)
        default:
            // A message the platform refused as an invalid parameter goes again split
            // smaller, or as a short fallback: the person is never left with nothing.
            let recovery = RefusedPartRecovery(store: store, renderer: renderer, fallback: options.refusedReplyFallback, now: now)
            switch await recovery.recover(part, refusedWith: failure, profile: channel.profile, fence: fence, logger: logger) {
            case .deliver(let replaced):
                return await deliver(replaced, of: item, through: channel, generation: generation, logger: logger)
            case .storeUnavailable:
                return await park(item, until: now().addingTimeInterval(5), reason: "store unavailable", countsAsAttempt: false, logger: logger)
            case .giveUp:
                break
            }
            logger.warning("reply refused by the platform; not retried", metadata: ["error": "\(failure)", "part": "\(part.index + 1)/\(parts.count)"])
            try? await store.markFailed(part.id, reason: failure.description, fence: fence, at: now())
            try? await store.kill(item.id, reason: failure.description, fence: fence, at: now())
            observer.replyFailed(channel: channel.name, error: failure)
            return .finished
        }
    }

    /// Records the item as waiting for its paused channel and asks the dispatcher to try again
    /// at `until`, or as soon as the channel is replaced or its probe went through. The store
    /// holds it as claimable now: a restart asks the gate again at once.
    func waitForChannel(_ item: InboxItem, until: Date, reason: String, logger: Logger) async -> ConversationDispatcher.Verdict {
        do {
            try await store.fail(item.id, reason: reason, nextAttemptAt: now(), countsAsAttempt: false, fence: LeaseFence(item), at: now())
        } catch let error as StoreError where error.code == .leaseLost {
            return .finished   // another worker has it
        } catch {
            logger.warning("failed attempt not recorded", metadata: ["error": "\(error)"])
        }
        return .waitForChannel(until: until)
    }

    /// Records a failed attempt and asks the dispatcher to try again at `until`.
    func park(_ item: InboxItem, until: Date, reason: String, countsAsAttempt: Bool, logger: Logger) async -> ConversationDispatcher.Verdict {
        do {
            try await store.fail(item.id, reason: reason, nextAttemptAt: until, countsAsAttempt: countsAsAttempt,
                                 fence: LeaseFence(item), at: now())
        } catch let error as StoreError where error.code == .leaseLost {
            return .finished   // another worker has it
        } catch {
            logger.warning("failed attempt not recorded", metadata: ["error": "\(error)"])
        }
        return .retry(at: until)
    }
}
