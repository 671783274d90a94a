import ChannelKit
import ChannelRendering
import Foundation
import Logging

extension Pipeline {
    /// Sends a short notice outside the outbox — the "one moment" note while the assistant is
    /// down, the apology for a message given up — rendered for the channel, retrying transient
    /// failures a few times. Nothing is recorded: a notice lost in a crash is not sent again.
    /// - Returns: whether every part went out.
    @discardableResult
    func sendNotice(_ markdown: String, to recipient: Recipient, through channel: any Channel, logger: Logger) async -> Bool {
        for text in renderer.render(markdown, for: channel.profile) {
            var attempt = 0
            while true {
                attempt += 1
                do {
                    let receipt = try await observer.platformCall(.send, channel: channel.name) {
                        try await channel.send(OutboundMessage(text: text), to: recipient, logger: logger)
                    }
                    await rememberDirectSend(receipt, logger: logger)
                    break
                } catch {
                    let failure = (error as? ChannelError) ?? ChannelError.transient("\(type(of: error))")
                    guard failure.code == .transient, attempt < options.retry.attempts, !Task.isCancelled else {
                        logger.warning("a notice to the person was not sent", metadata: ["error": "\(failure)"])
                        return false
                    }
                    do {
                        try await Task.sleep(for: options.retry.delay(afterAttempt: attempt, suggested: failure.retryAfter))
                    } catch {
                        return false
                    }
                }
            }
        }
        return true
    }

    /// Parks an item whose assistant is down: the conversation waits (later messages do not
    /// overtake it), other conversations go on, and no attempt is counted. The person is told
    /// once, with ``Options/assistantHoldNote``, when the answer will take longer than
    /// ``Options/assistantHoldNoteAfter`` from when they wrote.
    func waitForAssistant(_ item: InboxItem, _ outage: AssistantOutage, channel: any Channel,
                          logger: Logger) async -> ConversationDispatcher.Verdict {
        var reason = "assistant unavailable: \(outage.reason)"
        let told = item.lastError?.hasPrefix(AssistantOutage.notedPrefix) ?? false
        if told || outage.retryAt.timeIntervalSince(item.receivedAt) >= options.assistantHoldNoteAfter.seconds {
            if !told {
                await sendNotice(options.assistantHoldNote, to: item.event.recipient, through: channel, logger: logger)
            }
            reason = AssistantOutage.notedPrefix + reason
        }
        logger.warning("assistant unavailable; the message waits for it", metadata: [
            "retry_in_ms": "\(Int(max(0, outage.retryAt.timeIntervalSince(now())) * 1000))", "error": "\(outage.reason)",
        ])
        return await park(item, until: outage.retryAt, reason: reason, countsAsAttempt: false, logger: logger)
    }
}
