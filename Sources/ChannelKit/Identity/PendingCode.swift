import Foundation

/// A link waiting for its code: the person at ``identity`` asked to link ``email`` and must
/// type back the code sent there.
///
/// One identity has at most one pending code; a new request replaces it. The code itself is
/// never stored, only its salted hash (``sealed``). While ``mailState`` is `pending` the
/// email is still owed — the first send failed — and the retry worker sends it again with a
/// fresh code.
public struct PendingCode: Sendable, Hashable {
    /// Whether the email with the code has gone out.
    public enum MailState: String, Sendable, Hashable, Codable, CaseIterable {
        /// Not yet: the email is owed (first send failed, or not yet tried).
        case pending
        /// The mail server accepted it.
        case sent
    }

    /// A random id; it changes when the code is replaced by a fresh one for a resend.
    public var id: String
    /// Who asked.
    public var identity: ChannelIdentity
    /// The normalized address the code goes to, and the profile it links to.
    public var email: String
    /// ``EmailAddress/digest`` of ``email``: the key of the per-address rate limit.
    public var emailDigest: String
    /// The code's salt and hash.
    public var sealed: LinkCode.Sealed
    /// When the code was made.
    public var createdAt: Date
    /// From this time on the code is refused.
    public var expiresAt: Date
    /// Wrong codes typed so far.
    public var failedAttempts: Int
    /// Whether the email went out.
    public var mailState: MailState
    /// Failed sends so far.
    public var mailAttempts: Int
    /// When the retry worker sends the email again (while `pending`).
    public var mailNextAttemptAt: Date?
    /// Why the last send failed (no address, no code).
    public var mailLastError: String?

    /// Creates a pending code.
    public init(id: String, identity: ChannelIdentity, email: String, emailDigest: String, sealed: LinkCode.Sealed,
                createdAt: Date, expiresAt: Date, failedAttempts: Int = 0, mailState: MailState = .pending,
                mailAttempts: Int = 0, mailNextAttemptAt: Date? = nil, mailLastError: String? = nil) {
        self.id = id
        self.identity = identity
        self.email = email
        self.emailDigest = emailDigest
        self.sealed = sealed
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.failedAttempts = failedAttempts
        self.mailState = mailState
        self.mailAttempts = mailAttempts
        self.mailNextAttemptAt = mailNextAttemptAt
        self.mailLastError = mailLastError
    }
}
