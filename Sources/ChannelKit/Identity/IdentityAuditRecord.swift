import Foundation

/// One entry of the identity audit log: what happened to which channel identity, when.
///
/// Records never hold a code, and hold an address only as its digest.
public struct IdentityAuditRecord: Sendable, Hashable {
    /// What happened.
    public enum Action: String, Sendable, Hashable, Codable, CaseIterable {
        /// A code was made and its email queued (counts towards the rate limits).
        case codeIssued = "code_issued"
        /// A code whose email could not be sent was replaced by a fresh one for a resend.
        case codeReissued = "code_reissued"
        /// The identity was linked to a profile.
        case linked
        /// The identity's link was removed.
        case unlinked
        /// Too many wrong codes: the code was voided.
        case lockedOut = "locked_out"
        /// The code expired unused.
        case codeExpired = "code_expired"
        /// The person cancelled the pending code.
        case codeCancelled = "code_cancelled"
        /// The email could not be delivered (refused, or every retry failed); the code was voided.
        case mailFailed = "mail_failed"
    }

    /// The store's id, growing with time.
    public var id: Int64
    /// When.
    public var at: Date
    /// What.
    public var action: Action
    /// Whose.
    public var identity: ChannelIdentity
    /// The profile concerned, when there is one (link, unlink).
    public var profileID: String?
    /// ``EmailAddress/digest`` of the address concerned, when there is one.
    public var emailDigest: String?

    /// Creates a record.
    public init(id: Int64, at: Date, action: Action, identity: ChannelIdentity, profileID: String? = nil, emailDigest: String? = nil) {
        self.id = id
        self.at = at
        self.action = action
        self.identity = identity
        self.profileID = profileID
        self.emailDigest = emailDigest
    }
}
