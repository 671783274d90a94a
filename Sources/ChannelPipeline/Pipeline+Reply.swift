import ChannelConcurrency
import ChannelKit
import Foundation
import Logging
import Synchronization

// MARK: - Making the reply: commands, preparation, the assistant, rendering, recording.

extension Pipeline {
    /// Lets the command handlers answer, else asks the assistant; renders the answer for the
    /// channel and records its parts.
    func makeReply(for item: InboxItem, channel: any Channel, logger: Logger) async throws -> [OutboxPart] {
        let event = item.event
        let conversation = event.conversation
        let message = Self.userMessage(from: event)
        if let answer = try await commandReply(to: event, message: message, channel: channel, logger: logger) {
            // Commands carry addresses and codes: the inbox keeps the event, not what was typed.
            _ = try await store.redact(item.id, at: now())
            return try await record(answer, for: item, channel: channel, userTurn: nil, logger: logger)
        }
        let profile = try? await identities.profile(for: ChannelIdentity(channel: event.channel, userID: event.senderID))
        let history: [ConversationTurn]
        do {
            history = try await self.history(of: conversation, profile: profile)
        } catch {
            logger.warning("conversation history unavailable", metadata: ["error": "\(error)"])
            history = []
        }
        let (reply, preparation) = try await acknowledging(event, through: channel, logger: logger) {
            // Media fetched into memory, voice transcribed, or a direct answer; released with the turn.
            let located = MediaLookupTimedChannel.wrapping(channel, for: message, observer: observer)
            let preparation = await preparer?.prepare(message, of: event, channel: located, logger: logger)
                ?? MessagePreparation(message: message)
            if Task.isCancelled { throw CancellationError() }
            let turn = AssistantTurn(conversation: conversation, message: preparation.message, history: history,
                                     profile: profile, channelProfile: channel.profile)
            var reply: AssistantReply
            if let direct = preparation.directReply {
                reply = direct
            } else {
                reply = try await assistantCall.reply(to: turn, for: item, logger: logger)
                if let notice = preparation.notice { reply.markdown = notice + "\n\n" + reply.markdown }
            }
            return (reply, preparation)
        }
        let userTurn = ConversationTurn(role: .user, text: Self.historyText(of: preparation.message), timestamp: event.timestamp)
        return try await record(reply, for: item, channel: channel, userTurn: userTurn, logger: logger)
    }

    /// Runs `answer` (preparation and the assistant) while telling the person their message is
    /// being answered: at once when the channel's acknowledgement marks the message read,
    /// otherwise only if `answer` is still running after ``Options/typingDelay`` — an answer
    /// that is ready sooner needs no typing indicator. Returns only once an acknowledgement
    /// that started has finished, so it never arrives after the reply.
    func acknowledging<T: Sendable>(_ event: InboundEvent, through channel: any Channel, logger: Logger,
                                            _ answer: () async throws -> T) async throws -> T {
        guard channel.profile.supportsTypingIndicator else { return try await answer() }
        let acknowledge: @Sendable () async -> Void = { [observer] in
            do {
                try await observer.platformCall(.typing, channel: channel.name) { try await channel.acknowledge(event, logger: logger) }
            } catch {
                logger.debug("typing indicator failed", metadata: ["error": "\(error)"])
            }
        }
        let delay = channel.profile.acknowledgementMarksRead ? .zero : options.typingDelay
        guard delay > .zero else {
            await acknowledge()
            return try await answer()
        }
        // No task waits for the delay: a timer entry, cancelled when the answer is ready,
        // starts the acknowledgement if it fires first.
        let started = StartedAcknowledgement()
        let token = timers.schedule(after: delay) {
            started.task.withLock { $0 = Task { await acknowledge() } }
        }
        let result: Result<T, any Error>
        do {
            result = .success(try await answer())
        } catch {
            result = .failure(error)
        }
        if !timers.cancel(token), let acknowledgement = started.task.withLock({ $0 }) {
            // An indicator under way goes out before the reply.
            await withTaskCancellationHandler { await acknowledgement.value } onCancel: { acknowledgement.cancel() }
        }
        return try result.get()
    }

    /// Renders a reply for the channel and records its parts, with the exchange's turns when
    /// `userTurn` is given.
    func record(_ answer: AssistantReply, for item: InboxItem, channel: any Channel,
                        userTurn: ConversationTurn?, logger: Logger) async throws -> [OutboxPart] {
        let (reply, messages) = await tracing.span("render") { _ in
            composer.compose(answer, for: channel.profile, logger: logger)
        }
        let turns = userTurn.map { [$0, ConversationTurn(role: .assistant, text: reply.markdown, timestamp: now())] } ?? []
        return try await store.recordReply(for: item.id, parts: messages, conversation: item.event.conversation, turns: turns,
                                           fence: LeaseFence(item), at: now())
    }

    /// The first command handler's answer, if one answers.
    func commandReply(to event: InboundEvent, message: UserMessage, channel: any Channel,
                              logger: Logger) async throws -> AssistantReply? {
        let request = CommandRequest(event: event, message: message, channelProfile: channel.profile)
        for handler in commands {
            if case .reply(let answer) = try await handler.handle(request, logger: logger) { return answer }
        }
        return nil
    }

    /// The turns the assistant sees: this conversation's, or — with shared history and a
    /// linked profile — those of every identity linked to the profile, merged by time.
    func history(of conversation: ConversationKey, profile: SandraProfile?) async throws -> [ConversationTurn] {
        if options.sharedHistory, let profile {
            var people = try await identities.identities(ofProfile: profile.id)
            let current = ChannelIdentity(channel: conversation.channel, userID: conversation.userID)
            if !people.contains(current) { people.append(current) }
            return try await store.sharedHistory(of: people, limit: options.historyTurns)
        }
        return try await store.history(of: conversation, limit: options.historyTurns)
    }
}

/// The typing indicator a timer started, if it fired before the answer was ready.
private final class StartedAcknowledgement: Sendable {
    let task = Mutex<Task<Void, Never>?>(nil)
}
