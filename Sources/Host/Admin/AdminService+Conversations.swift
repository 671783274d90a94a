import ChannelKit
import ChannelPipeline
import Foundation
import Logging

// MARK: - Conversations: who answers each, and an operator's resume and pause.

extension AdminService {
    /// How many recent conversations the portal lists.
    static let conversationLimit = 100

    /// A conversation as the portal and the API show it.
    struct Conversation: Encodable, Sendable {
        let channel: String
        let accountID: String
        let userID: String
        /// `sandra`, `paused` (a person of the business answers), `waiting` (the person asked
        /// for a person and none has answered yet), or `other_app` (another app owns the thread).
        let state: String
        let pausedUntil: String?
        let reason: String?
        let threadOwner: String?
        let controlRequested: Bool
        /// Who spoke last: `person` or `business` (Sandra or a person of the business).
        let lastSpeaker: String?
        let lastActivity: String?
        /// Whether an operator can resume Sandra here.
        let canResume: Bool
        /// Whether another app owns the thread, so an operator can ask for it.
        let canRequestControl: Bool

        enum CodingKeys: String, CodingKey {
            case channel, accountID = "account_id", userID = "user_id", state, pausedUntil = "paused_until", reason,
                 threadOwner = "thread_owner", controlRequested = "control_requested", lastSpeaker = "last_speaker",
                 lastActivity = "last_activity", canResume = "can_resume", canRequestControl = "can_request_control"
        }
    }

    /// The conversations where Sandra is quiet or a person waits, then the most recent others.
    func conversations(at now: Date = Date()) async throws -> [Conversation] {
        let controlled = try await runtime.store.controlledConversations(at: now, limit: Self.conversationLimit)
        let recent = try await runtime.store.recentConversations(limit: Self.conversationLimit)
        var lastTurns: [ConversationKey: ConversationTurn] = [:]
        for activity in recent { lastTurns[activity.conversation] = activity.lastTurn }
        var rows = controlled.map { Self.row($0.conversation, control: $0.control, lastTurn: lastTurns[$0.conversation], now: now) }
        let listed = Set(controlled.map(\.conversation))
        for activity in recent where !listed.contains(activity.conversation) && rows.count < Self.conversationLimit {
            rows.append(Self.row(activity.conversation, control: nil, lastTurn: activity.lastTurn, now: now))
        }
        return rows
    }

    /// Sandra answers the conversation again from its next message: the pause and a pending
    /// request for a person end (a thread another app owns stays with it).
    /// - Returns: whether there was a pause to end.
    @discardableResult
    func resume(_ conversation: ConversationKey, at now: Date = Date()) async throws -> Bool {
        let before = try await runtime.store.conversationControl(of: conversation, at: now)
        guard let before, before.isPaused(at: now) || before.isWaitingForPerson else { return false }
        try await runtime.store.updateConversationControl(of: conversation, at: now) { current in
            guard var control = current else { return nil }
            control.pausedUntil = nil
            control.reason = nil
            control.personAskedAt = nil
            return control
        }
        runtime.logger.notice("conversation resumed by an operator", metadata: ["channel": "\(conversation.channel)"])
        return true
    }

    /// Pauses Sandra in the conversation for `minutes`, as a person of the business takes it.
    func pause(_ conversation: ConversationKey, minutes: Int, at now: Date = Date()) async throws {
        let until = now.addingTimeInterval(Double(minutes) * 60)
        try await runtime.store.updateConversationControl(of: conversation, at: now) { current in
            var control = current ?? ConversationControl(updatedAt: now)
            control.pausedUntil = until
            control.reason = .operatorPause
            return control
        }
        runtime.logger.notice("conversation paused by an operator", metadata: ["channel": "\(conversation.channel)", "minutes": "\(minutes)"])
    }

    /// Why asking for a conversation's thread did not happen.
    enum ControlRefusal: Error {
        /// No channel of that name is served.
        case noChannel
        /// The channel's platform has no Conversation Routing.
        case unsupported
    }

    /// Asks the platform for the conversation's thread (Conversation Routing): taken, Sandra
    /// answers there again at once; requested, when the owner passes it (a webhook).
    /// - Throws: ``ControlRefusal``, or the platform's ``ChannelError``.
    func requestControl(_ conversation: ConversationKey, at now: Date = Date()) async throws -> ThreadControlOutcome {
        guard let channel = runtime.pipeline.channel(named: conversation.channel) else { throw ControlRefusal.noChannel }
        guard let routing = channel as? any ThreadControlRequesting else { throw ControlRefusal.unsupported }
        let outcome = try await routing.requestThreadControl(of: Recipient(accountID: conversation.accountID, userID: conversation.userID),
                                                             metadata: "requested from the Sandra admin portal", logger: runtime.logger)
        if outcome == .taken {
            try await runtime.store.updateConversationControl(of: conversation, at: now) { current in
                var control = current
                control?.threadOwnerAppID = nil
                return control
            }
        }
        runtime.logger.notice("thread control asked for by an operator", metadata: ["channel": "\(conversation.channel)", "outcome": "\(outcome.rawValue)"])
        return outcome
    }

    private static func row(_ conversation: ConversationKey, control: ConversationControl?, lastTurn: ConversationTurn?, now: Date) -> Conversation {
        let state: String
        if control?.threadOwnerAppID != nil {
            state = "other_app"
        } else if control?.isWaitingForPerson == true {
            state = "waiting"
        } else if control?.isPaused(at: now) == true {
            state = "paused"
        } else {
            state = "sandra"
        }
        let paused = control?.isPaused(at: now) == true
        return Conversation(channel: conversation.channel, accountID: conversation.accountID, userID: conversation.userID, state: state,
                            pausedUntil: paused ? control?.pausedUntil.map(SettingOrigin.format) : nil,
                            reason: paused ? control?.reason?.rawValue : nil, threadOwner: control?.threadOwnerAppID,
                            controlRequested: control?.controlRequestedAt != nil,
                            lastSpeaker: lastTurn.map { $0.role == .user ? "person" : "business" },
                            lastActivity: lastTurn.map { SettingOrigin.format($0.timestamp) },
                            canResume: paused || control?.isWaitingForPerson == true,
                            canRequestControl: control?.threadOwnerAppID != nil)
    }
}
