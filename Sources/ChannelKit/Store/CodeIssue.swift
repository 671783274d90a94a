/// What ``IdentityStore/issueCode(_:limits:at:)`` did.
public enum CodeIssue: Sendable, Hashable {
    /// The code is recorded.
    case issued
    /// The identity asked for too many codes within the window; nothing changed.
    case identityLimited
    /// The address got too many codes within the window; nothing changed.
    case emailLimited
}
