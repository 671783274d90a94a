import ChannelKit
import Foundation
import Logging

// MARK: - The reply window: a reply due after it closed goes tagged, waits behind a template, or not at all.

extension Pipeline {
    /// What the channel's reply window lets a reply to `item` do now.
    enum WindowDecision: Sendable {
        /// Within the window: sent as it is.
        case open
        /// Outside the window, within the tag's: sent with the tag.
        case tagged(String)
        /// Outside the window: held back, a template invites the person to write again.
        case template(MessageTemplate)
        /// Outside every window: not sent, for the reason given.
        case closed(String)
    }

    /// The decision for a reply to `item` through a channel of `profile`, measured from the
    /// platform timestamp of the person's message.
    func windowDecision(for item: InboxItem, profile: ChannelProfile) -> WindowDecision {
        guard let window = profile.replyWindow else { return .open }
        let age = now().timeIntervalSince(item.event.timestamp)
        guard age >= window.length.seconds else { return .open }
        let hours = Int(window.length.seconds / 3600)
        switch window.outside {
        case .nothing:
            return .closed("not sent: the \(hours)-hour reply window had closed and the channel has nothing it may send outside it")
        case .template(let template):
            return .template(template)
        case .tagged(let tag, let until):
            guard age < until.seconds else {
                return .closed("not sent: more than \(Int(until.seconds / 86400)) days since the person's last message, past even the \(tag) tag's window")
            }
            return .tagged(tag)
        }
    }

    /// Marks the parts failed and the item dead with `reason`: nothing is sent into a certain
    /// refusal, and nothing is retried.
    func refuseOutsideWindow(_ parts: [OutboxPart], of item: InboxItem, reason: String, channel: any Channel,
                             logger: Logger) async -> ConversationDispatcher.Verdict {
        let fence = LeaseFence(item)
        logger.warning("reply due outside the reply window; not sent", metadata: ["inbox_id": "\(item.id)"])
        for part in parts where part.state == .pending {
            try? await store.markFailed(part.id, reason: reason, fence: fence, at: now())
        }
        try? await store.kill(item.id, reason: reason, fence: fence, at: now())
        return .finished
    }

    /// Holds the reply's pending parts until the person writes again, sends the template once
    /// since their last message, and records the item as answered.
    func holdForTemplate(_ parts: [OutboxPart], of item: InboxItem, template: MessageTemplate, channel: any Channel,
                         logger: Logger) async -> ConversationDispatcher.Verdict {
        let pending = parts.filter { $0.state == .pending }.map(\.id)
        await hold(pending, of: item.id, conversation: item.event.conversation, lastInbound: item.event.timestamp,
                   template: template, channel: channel, logger: logger)
        _ = await recordDone("held reply outside the window", logger: logger) {
            try await self.store.complete(item.id, fence: LeaseFence(item), at: self.now())
        }
        return .finished
    }

    /// Records `partIDs` of `inboxID` as held in the conversation's shared record and, when no
    /// template went since the person's last message at `lastInbound`, sends one (one attempt;
    /// a failure is logged).
    func hold(_ partIDs: [String], of inboxID: Int64, conversation: ConversationKey, lastInbound: Date,
              template: MessageTemplate, channel: any Channel, logger: Logger) async {
        let clock = now()
        let sentAt = Int64((clock.timeIntervalSince1970 * 1000).rounded())
        let change: SharedValueChange
        do {
            change = try await store.updateSharedValue(scope: ReplyWindowHold.scope, key: conversation.storeKey, at: clock) { text in
                var record = ReplyWindowHold.decode(text)
                record.hold(partIDs, of: inboxID)
                if record.templateDue(lastInbound: lastInbound) { record.templateSentAtMs = sentAt }
                return SharedValueUpdate(value: record.encoded(), expiresAt: clock.addingTimeInterval(ReplyWindowHold.lifetime))
            }
        } catch {
            logger.error("held reply not recorded", metadata: ["inbox_id": "\(inboxID)", "error": "\(error)"])
            return
        }
        // This call set the template's time: this call sends it (whichever host took the record first).
        let before = ReplyWindowHold.decode(change.previous).templateSentAtMs
        guard ReplyWindowHold.decode(change.current).templateSentAtMs == sentAt, before != sentAt else {
            logger.info("reply held until the person writes again; the template went already", metadata: ["inbox_id": "\(inboxID)"])
            return
        }
        do {
            let receipt = try await observer.platformCall(.send, channel: channel.name) {
                try await channel.send(OutboundMessage(text: "", template: template), to: conversation.recipient, logger: logger)
            }
            await rememberDirectSend(receipt, logger: logger)   // its echo, where one comes, is this host's own
            logger.info("reply held until the person writes again; re-engagement template sent",
                        metadata: ["inbox_id": "\(inboxID)", "template": "\(template.name)", "platform_id": "\(receipt.platformMessageID ?? "")"])
        } catch {
            logger.error("re-engagement template not sent", metadata: ["template": "\(template.name)", "error": "\(error)"])
        }
    }

    /// Before a conversation's new message is answered: sends the replies held back while its
    /// window was closed, in order, each part once (the record loses a part as it goes; the
    /// conversation's claim keeps other hosts out meanwhile). A part that fails stays held.
    func sendHeldReplies(before item: InboxItem, through channel: any Channel, logger: Logger) async {
        guard case .template = channel.profile.replyWindow?.outside else { return }
        let conversation = item.event.conversation
        let key = conversation.storeKey
        guard let text = try? await store.sharedValue(scope: ReplyWindowHold.scope, key: key, at: now()) else { return }
        for held in ReplyWindowHold.decode(text).held {
            guard let parts = try? await store.parts(for: held.inboxID) else { return }
            for part in parts where held.partIDs.contains(part.id) {
                let receipt: SendReceipt
                switch await sender.send(part.message, index: part.index, to: item.event.recipient, through: channel, logger: logger) {
                case .sent(let sent):
                    receipt = sent
                case .failed(let failure):
                    logger.warning("held reply not sent; it stays held", metadata: ["part": "\(part.id)", "error": "\(failure)"])
                    return
                case .cancelled:
                    return
                }
                if part.state == .pending {
                    try? await store.markSent(part.id, platformMessageID: receipt.platformMessageID, fence: nil, at: now())
                }
                _ = try? await store.updateSharedValue(scope: ReplyWindowHold.scope, key: key, at: now()) { text in
                    var record = ReplyWindowHold.decode(text)
                    record.release(part.id, of: held.inboxID)
                    return SharedValueUpdate(value: record.encoded(), expiresAt: self.now().addingTimeInterval(ReplyWindowHold.lifetime))
                }
                logger.info("held reply sent now that the person wrote again", metadata: ["part": "\(part.id)"])
            }
        }
    }

    /// Delivery statuses that report a sent part refused because the window had closed
    /// (WhatsApp's 131047): the part is held for the person's next message and the template
    /// invites them back, once per closed window; without a template, the refusal is logged
    /// and nothing is retried.
    func handleWindowRefusals(_ created: [InboxItem]) async {
        for item in created {
            guard case .ignored(let ignored) = item.event.kind, ignored.reason == .status,
                  let channel = self.channel(named: item.event.channel), let platformID = channel.windowRefusal(in: item.event) else { continue }
            var logger = self.logger
            logger[metadataKey: "channel"] = "\(channel.name)"
            let part: OutboxPart
            do {
                guard let found = try await store.part(withPlatformMessageID: platformID) else {
                    logger.info("a message not sent by this store was refused outside the reply window")
                    continue
                }
                part = found
            } catch {
                logger.warning("a refusal outside the reply window could not be matched", metadata: ["error": "\(error)"])
                continue
            }
            guard case .template(let template) = channel.profile.replyWindow?.outside else {
                logger.warning("a sent reply was refused outside the reply window; not retried (no re-engagement template)",
                               metadata: ["part": "\(part.id)"])
                continue
            }
            guard let answered = try? await store.item(part.inboxID) else { continue }
            await hold([part.id], of: part.inboxID, conversation: answered.event.conversation, lastInbound: answered.event.timestamp,
                       template: template, channel: channel, logger: logger)
        }
    }
}
