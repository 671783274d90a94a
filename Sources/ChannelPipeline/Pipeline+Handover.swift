import ChannelKit
import Foundation
import Logging

// MARK: - People and Sandra sharing the inbox: echoes, thread control, pauses, asking for a person.

extension Pipeline {
    /// Takes up an event that is not answered but belongs in the conversation's turn: an echo
    /// (this host's own send, or a person of the business's reply, which pauses Sandra) or a
    /// thread-control change. `nil` for messages and postbacks.
    func takeUpUnanswered(_ item: InboxItem, logger: Logger) async -> ConversationDispatcher.Verdict? {
        switch item.event.kind {
        case .echo(let echo):
            return await finishing(item, logger: logger) { try await self.takeEcho(echo, of: item, logger: logger) }
        case .control(let control):
            return await finishing(item, logger: logger) { try await self.takeThreadControl(control, of: item, logger: logger) }
        case .message, .postback, .ignored:
            return nil
        }
    }

    /// When Sandra must stay quiet in the message's conversation (paused, or another app owns
    /// the thread): records what the person wrote in the conversation's history, for the
    /// person of the business and for Sandra afterwards, and finishes the message unanswered.
    /// `nil` when Sandra answers.
    func holdIfQuiet(_ item: InboxItem, logger: Logger) async throws -> ConversationDispatcher.Verdict? {
        let event = item.event
        let clock = now()
        let control: ConversationControl?
        switch item.controlReading {
        case .none: control = nil
        case .control(let read): control = read
        case .notRead: control = try await store.conversationControl(of: event.conversation, at: clock)
        }
        guard let control, control.isQuiet(at: clock) else { return nil }
        logger.info("conversation is with a person; message recorded, not answered",
                    metadata: ["reason": "\(control.threadOwnerAppID != nil ? "thread_owner" : control.reason?.rawValue ?? "paused")"])
        return await finishing(item, logger: logger) {
            let text = Self.historyText(of: Self.userMessage(from: event))
            try await self.store.append([ConversationTurn(role: .user, text: text, timestamp: event.timestamp)], to: event.conversation)
        }
    }

    /// Whether the message asks for a person of the business (``HandoverPolicy/requestPhrases``).
    func asksForPerson(_ event: InboundEvent) -> Bool {
        guard case .message(let message) = event.kind, let text = message.text else { return false }
        return options.handover.asksForPerson(text)
    }

    /// The person asked for a person: Sandra's confirmation is recorded as the reply, and Sandra
    /// pauses in the conversation until a person of the business answers or the pause ends.
    func answerRequestForPerson(_ item: InboxItem, channel: any Channel, logger: Logger) async throws -> [OutboxPart] {
        let event = item.event
        let userTurn = ConversationTurn(role: .user, text: Self.historyText(of: Self.userMessage(from: event)), timestamp: event.timestamp)
        let parts = try await record(AssistantReply(markdown: options.handover.requestReply), for: item, channel: channel,
                                     userTurn: userTurn, logger: logger)
        let clock = now()
        let until = clock.addingTimeInterval(options.handover.requestPause.seconds)
        try await store.updateConversationControl(of: event.conversation, at: clock) { current in
            var control = current ?? ConversationControl(updatedAt: clock)
            control.pausedUntil = max(control.pausedUntil ?? until, until)
            control.reason = .personAsked
            control.personAskedAt = clock
            return control
        }
        logger.info("the person asked for a person; conversation paused", metadata: ["until": "\(until)"])
        return parts
    }

    // MARK: Steps

    private func takeEcho(_ echo: Echo, of item: InboxItem, logger: Logger) async throws {
        let event = item.event
        // This host's own send is recorded (with the id the platform gave it) before its item is
        // done, and an echo waits in the conversation's turn behind any reply still being sent.
        let sentID = echo.sentMessageID ?? event.platformMessageID
        if try await store.part(withPlatformMessageID: sentID) != nil { return }
        if try await store.sharedValue(scope: Self.directSendScope, key: sentID, at: now()) != nil { return }
        let clock = now()
        let until = event.timestamp.addingTimeInterval(options.handover.pause(for: event.channel).seconds)
        try await store.append([ConversationTurn(role: .assistant, text: Self.historyText(of: echo), timestamp: event.timestamp)],
                               to: event.conversation)
        try await store.updateConversationControl(of: event.conversation, at: clock) { current in
            var control = current ?? ConversationControl(updatedAt: clock)
            if until > clock, until > (control.pausedUntil ?? .distantPast) || control.reason != .operatorPause {
                control.pausedUntil = max(control.pausedUntil ?? until, until)
                control.reason = .humanReply
            }
            control.lastHumanReplyAt = max(control.lastHumanReplyAt ?? event.timestamp, event.timestamp)
            return control
        }
        logger.info("a person of the business replied; Sandra pauses here", metadata: ["until": "\(until)", "app_id": "\(echo.appID ?? "none")"])
    }

    private func takeThreadControl(_ change: ThreadControl, of item: InboxItem, logger: Logger) async throws {
        let event = item.event
        let clock = now()
        try await store.updateConversationControl(of: event.conversation, at: clock) { current in
            var control = current ?? ConversationControl(updatedAt: clock)
            switch change.action {
            case .pass, .release:
                // Passed to this app (the webhook goes to the new owner), or back to the default.
                control.threadOwnerAppID = nil
                control.controlRequestedAt = nil
            case .take:
                control.threadOwnerAppID = change.appID ?? "another app"
            case .request:
                control.controlRequestedAt = clock
            }
            return control
        }
        logger.info("thread control changed", metadata: ["action": "\(change.action.rawValue)", "app_id": "\(change.appID ?? "none")"])
    }

    /// Runs `work` and completes the item; a store that fails is tried again in a moment.
    private func finishing(_ item: InboxItem, logger: Logger, _ work: () async throws -> Void) async -> ConversationDispatcher.Verdict {
        do {
            try await work()
            try await store.complete(item.id, fence: LeaseFence(item), at: now())
            return .finished
        } catch let error as StoreError where error.code == .leaseLost {
            return .finished
        } catch {
            if Task.isCancelled { return .finished }
            return await park(item, until: now().addingTimeInterval(5), reason: "store unavailable", countsAsAttempt: false, logger: logger)
        }
    }

    /// Where the message ids of notices sent outside a recorded reply (the "one moment" note,
    /// an apology) are kept, for two days, so that their echoes are known as this host's own.
    static let directSendScope = "direct-send"

    /// Remembers a notice's message id (``directSendScope``); a store that fails loses only the
    /// chance to tell its echo from a person's.
    func rememberDirectSend(_ receipt: SendReceipt, logger: Logger) async {
        guard let id = receipt.platformMessageID, !id.isEmpty else { return }
        let clock = now()
        do {
            try await store.setSharedValue("1", scope: Self.directSendScope, key: id, expiresAt: clock.addingTimeInterval(2 * 86_400), at: clock)
        } catch {
            logger.warning("a notice's message id was not recorded; its echo may pause the conversation", metadata: ["error": "\(error)"])
        }
    }

    /// What the history keeps of a person of the business's reply: its text, and a note per attachment.
    static func historyText(of echo: Echo) -> String {
        let notes = echo.attachments.map { "[\($0.kind.rawValue)\($0.title.map { ": " + $0 } ?? "")]" }
        return ([echo.text].compactMap { $0 } + notes).joined(separator: "\n")
    }
}
