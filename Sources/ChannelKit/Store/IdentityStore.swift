import Foundation

/// Where identity linking keeps its state: profiles, links, pending codes and the audit log.
///
/// Every method is atomic, and every change that the audit log records is written together
/// with its ``IdentityAuditRecord``. Addresses are stored lowercased; profiles are found by
/// address. The email-verification flow (``IdentityLinkFlow``) is the main client; the
/// pipeline reads profiles through ``IdentityDirectory``.
public protocol IdentityStore: IdentityDirectory {
    // MARK: Profiles and links

    /// Linked identities, most recently linked first, at most `limit` of them.
    func links(limit: Int) async throws -> [IdentityLink]

    /// A profile by id.
    func profile(id: String) async throws -> SandraProfile?

    /// Replaces a profile's display name and preferences (its id and email never change).
    /// - Throws: `StoreError(.invalidTransition)` when no profile has that id.
    func updateProfile(_ profile: SandraProfile, at now: Date) async throws

    /// Links an identity to the profile of a verified address, creating the profile on first
    /// link and moving the identity off any other profile, with a `linked` audit record.
    /// - Returns: the profile.
    func link(_ identity: ChannelIdentity, toVerifiedEmail email: String, at now: Date) async throws -> SandraProfile

    /// Removes an identity's link, with an `unlinked` audit record; the profile stays.
    /// - Returns: the profile it was linked to, or `nil` when it was not linked (nothing recorded).
    func unlink(_ identity: ChannelIdentity, at now: Date) async throws -> SandraProfile?

    // MARK: Pending codes

    /// Records `code` as its identity's pending code, replacing any earlier one, with a
    /// `codeIssued` audit record — unless the identity, or the address (by digest), already
    /// has `limits` codes issued within the window before `now` (issued after `now - window`),
    /// in which case nothing changes. Of concurrent issues, no more than the limit pass.
    func issueCode(_ code: PendingCode, limits: CodeLimits, at now: Date) async throws -> CodeIssue

    /// The identity's pending code, if any (expired ones included: the caller decides).
    func pendingCode(for identity: ChannelIdentity) async throws -> PendingCode?

    /// Counts a wrong code. When the count reaches `maxAttempts` the code is deleted with a
    /// `lockedOut` audit record.
    func recordWrongCode(_ codeID: String, maxAttempts: Int, at now: Date) async throws -> WrongCodeOutcome

    /// Redeems a code: deletes it and links its identity to the profile of its address, as
    /// ``link(_:toVerifiedEmail:at:)`` does. Single use: of concurrent redeems at most one succeeds.
    /// - Returns: the profile, or `nil` when no pending code has that id or it expired at `now`.
    func redeemCode(_ codeID: String, at now: Date) async throws -> SandraProfile?

    /// Deletes a pending code with an audit record saying why (`codeCancelled`,
    /// `codeExpired`, `mailFailed`, …).
    /// - Returns: whether there was such a code.
    func discardCode(_ codeID: String, reason: IdentityAuditRecord.Action, at now: Date) async throws -> Bool

    /// Deletes every code that expired at `now` and whose email went out, with `codeExpired`
    /// audit records; codes whose email is still owed are left to the mail retries.
    /// - Returns: how many were deleted.
    func purgeExpiredCodes(at now: Date) async throws -> Int

    // MARK: The emails owed

    /// Codes whose email is owed and due (`mailState == .pending`, next attempt unset or at
    /// or before `now`), the earliest due first, at most `limit`.
    func codesAwaitingMail(at now: Date, limit: Int) async throws -> [PendingCode]

    /// Records that a code's email went out.
    /// - Returns: whether the code still exists.
    func markCodeMailed(_ codeID: String, at now: Date) async throws -> Bool

    /// Records a failed send: one more mail attempt, the reason, and when to try again.
    /// - Returns: whether the code still exists.
    func deferCodeMail(_ codeID: String, reason: String, nextAttemptAt: Date, at now: Date) async throws -> Bool

    /// Replaces a code whose email is owed by a fresh one (new id, salt, hash, creation and
    /// expiry; wrong-code count reset; mail state and attempts kept), with a `codeReissued`
    /// audit record. Only when the code `codeID` still exists.
    /// - Returns: whether it was replaced.
    func reissueCode(_ codeID: String, as replacement: PendingCode, at now: Date) async throws -> Bool

    // MARK: Audit

    /// The last `limit` audit records, oldest first; only those of `identity` when given.
    func auditRecords(of identity: ChannelIdentity?, limit: Int) async throws -> [IdentityAuditRecord]
}

extension IdentityStore {
    /// ``IdentityDirectory/link(_:toVerifiedEmail:)`` at the current time.
    public func link(_ identity: ChannelIdentity, toVerifiedEmail email: String) async throws -> SandraProfile {
        try await link(identity, toVerifiedEmail: email, at: Date())
    }

    /// ``IdentityDirectory/unlink(_:)`` at the current time.
    public func unlink(_ identity: ChannelIdentity) async throws {
        _ = try await unlink(identity, at: Date())
    }
}
