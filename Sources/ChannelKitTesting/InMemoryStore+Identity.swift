import ChannelKit
import Foundation

// MARK: - IdentityStore

extension InMemoryStore {
    public func profile(for identity: ChannelIdentity) -> SandraProfile? {
        identityTables.profile(for: identity)
    }

    public func identities(ofProfile profileID: String) -> [ChannelIdentity] {
        identityTables.identities(ofProfile: profileID)
    }

    public func profile(id: String) -> SandraProfile? {
        identityTables.profile(id: id)
    }

    public func updateProfile(_ profile: SandraProfile, at now: Date) throws {
        try identityTables.updateProfile(profile)
    }

    public func link(_ identity: ChannelIdentity, toVerifiedEmail email: String, at now: Date) -> SandraProfile {
        identityTables.link(identity, toVerifiedEmail: email, at: now)
    }

    public func links(limit: Int) -> [IdentityLink] {
        identityTables.links(limit: limit)
    }

    public func unlink(_ identity: ChannelIdentity, at now: Date) -> SandraProfile? {
        identityTables.unlink(identity, at: now)
    }

    public func issueCode(_ code: PendingCode, limits: CodeLimits, at now: Date) -> CodeIssue {
        identityTables.issueCode(code, limits: limits, at: now)
    }

    public func pendingCode(for identity: ChannelIdentity) -> PendingCode? {
        identityTables.pendingCode(for: identity)
    }

    public func recordWrongCode(_ codeID: String, maxAttempts: Int, at now: Date) -> WrongCodeOutcome {
        identityTables.recordWrongCode(codeID, maxAttempts: maxAttempts, at: now)
    }

    public func redeemCode(_ codeID: String, at now: Date) -> SandraProfile? {
        identityTables.redeemCode(codeID, at: now)
    }

    public func discardCode(_ codeID: String, reason: IdentityAuditRecord.Action, at now: Date) -> Bool {
        identityTables.discardCode(codeID, reason: reason, at: now)
    }

    public func purgeExpiredCodes(at now: Date) -> Int {
        identityTables.purgeExpiredCodes(at: now)
    }

    public func codesAwaitingMail(at now: Date, limit: Int) -> [PendingCode] {
        identityTables.codesAwaitingMail(at: now, limit: limit)
    }

    public func markCodeMailed(_ codeID: String, at now: Date) -> Bool {
        identityTables.markCodeMailed(codeID)
    }

    public func deferCodeMail(_ codeID: String, reason: String, nextAttemptAt: Date, at now: Date) -> Bool {
        identityTables.deferCodeMail(codeID, reason: reason, nextAttemptAt: nextAttemptAt)
    }

    public func reissueCode(_ codeID: String, as replacement: PendingCode, at now: Date) -> Bool {
        identityTables.reissueCode(codeID, as: replacement, at: now)
    }

    public func auditRecords(of identity: ChannelIdentity?, limit: Int) -> [IdentityAuditRecord] {
        identityTables.auditRecords(of: identity, limit: limit)
    }
}
