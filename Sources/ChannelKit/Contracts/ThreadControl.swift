import Foundation

/// A Conversation Routing change: which app answers a conversation. When another app owns
/// the thread, Sandra stays quiet there and the platform delivers copies on `standby`.
public struct ThreadControl: Sendable, Hashable, Codable {
    /// What happened.
    public var action: Action
    /// The app that owns the thread now (pass, take), or asks to (request).
    public var appID: String?
    /// The app that owned it before, when the platform says.
    public var previousAppID: String?
    /// The free text the other app passed along (never shown to the person).
    public var metadata: String?

    /// The changes.
    public enum Action: String, Sendable, Hashable, Codable, CaseIterable {
        /// Control was passed to ``ThreadControl/appID`` (this app, when it receives it).
        case pass
        /// ``ThreadControl/appID`` took control away from this app.
        case take
        /// ``ThreadControl/appID`` asks this app for control.
        case request
        /// Control went back to the default owner.
        case release
    }

    /// Creates a thread-control change.
    public init(action: Action, appID: String? = nil, previousAppID: String? = nil, metadata: String? = nil) {
        self.action = action
        self.appID = appID
        self.previousAppID = previousAppID
        self.metadata = metadata
    }
}
