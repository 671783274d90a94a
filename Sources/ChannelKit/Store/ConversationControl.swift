import Foundation

/// Who answers a conversation: Sandra, or a person of the business. Kept in the store
/// (``SharedStateStore``, scope ``ConversationControl/scope``), so that every host of one
/// store sees the same pause.
///
/// Sandra is quiet in a conversation while it is paused (a person of the business replied,
/// the person asked for one, or an operator paused it) or while another app owns the thread
/// (Conversation Routing). The person's messages meanwhile are recorded in the conversation's
/// history and left to the person of the business; when the pause ends, Sandra answers the
/// next message with everything that was said in its history.
public struct ConversationControl: Sendable, Hashable, Codable {
    /// Until when Sandra is paused here; `nil` or past: not paused.
    public var pausedUntil: Date?
    /// Why it was paused last.
    public var reason: PauseReason?
    /// When a person of the business last replied here (an echo that was not this host's).
    public var lastHumanReplyAt: Date?
    /// When the person asked for a person of the business, until one replies.
    public var personAskedAt: Date?
    /// The app that owns the thread when it is not this one (Conversation Routing); `nil`: this app.
    public var threadOwnerAppID: String?
    /// When another app asked this one for control, if it did since.
    public var controlRequestedAt: Date?
    /// When this changed last.
    public var updatedAt: Date

    /// Why Sandra was paused.
    public enum PauseReason: String, Sendable, Hashable, Codable, CaseIterable {
        /// A person of the business replied (from Meta's apps, a helpdesk, the WhatsApp Business app).
        case humanReply = "human_reply"
        /// The person asked to talk to a person.
        case personAsked = "person_asked"
        /// An operator paused it from the admin portal or API.
        case operatorPause = "operator"
    }

    /// Creates the state of a conversation.
    public init(pausedUntil: Date? = nil, reason: PauseReason? = nil, lastHumanReplyAt: Date? = nil, personAskedAt: Date? = nil,
                threadOwnerAppID: String? = nil, controlRequestedAt: Date? = nil, updatedAt: Date) {
        self.pausedUntil = pausedUntil
        self.reason = reason
        self.lastHumanReplyAt = lastHumanReplyAt
        self.personAskedAt = personAskedAt
        self.threadOwnerAppID = threadOwnerAppID
        self.controlRequestedAt = controlRequestedAt
        self.updatedAt = updatedAt
    }

    /// The shared-state scope the states are kept under.
    public static let scope = "conversation-control"

    /// Whether Sandra must stay quiet at `now`: paused, or another app owns the thread.
    public func isQuiet(at now: Date) -> Bool {
        isPaused(at: now) || threadOwnerAppID != nil
    }

    /// Whether the pause lasts at `now`.
    public func isPaused(at now: Date) -> Bool {
        pausedUntil.map { $0 > now } ?? false
    }

    /// Whether the person asked for a person of the business and none has replied since.
    public var isWaitingForPerson: Bool {
        guard let asked = personAskedAt else { return false }
        return (lastHumanReplyAt ?? .distantPast) < asked
    }

    /// Whether anything here still matters at `now` (a pause, a thread owner, a request to answer):
    /// a state that does not is deleted.
    public func matters(at now: Date) -> Bool {
        isPaused(at: now) || lastsUntilChanged
    }

    /// Until when the store keeps the state: the pause's end, or `nil` (until it is changed)
    /// while another app owns the thread, the person waits for a person, or another app asked
    /// for the thread.
    public var keptUntil: Date? {
        lastsUntilChanged ? nil : pausedUntil
    }

    private var lastsUntilChanged: Bool {
        threadOwnerAppID != nil || isWaitingForPerson || controlRequestedAt != nil
    }
}

/// The conversation's takeover state as a claim read it, so that the pipeline need not ask
/// the store again (``InboxItem/controlReading``).
public enum ConversationControlReading: Sendable, Hashable {
    /// Not read with the item: ask the store.
    case notRead
    /// Read: Sandra answers the conversation as usual.
    case none
    /// Read: this state.
    case control(ConversationControl)

    /// The reading of a stored value (``ConversationControl/scope``): `nil` is none; a value
    /// that does not read as a state is left for the store to be asked again.
    public init(stored text: String?) {
        guard let text else { self = .none; return }
        self = ConversationControl.decode(text).map { .control($0) } ?? .notRead
    }
}
