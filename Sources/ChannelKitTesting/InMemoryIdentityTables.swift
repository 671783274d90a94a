import ChannelKit
import Foundation

/// Identity linking's state inside ``InMemoryStore``: profiles by address, links, pending
/// codes and the audit log, with the ``IdentityStore`` operations on them. Not thread-safe by
/// itself; the store's actor runs one operation at a time.
struct InMemoryIdentityTables {
    private var profilesByID: [String: SandraProfile] = [:]
    private var profileIDByEmail: [String: String] = [:]
    private var links: [ChannelIdentity: String] = [:]   // identity → profile id
    private var linkedAt: [ChannelIdentity: Date] = [:]
    private var pendingByIdentity: [ChannelIdentity: PendingCode] = [:]
    private var audit: [IdentityAuditRecord] = []
    private var nextAuditID: Int64 = 1

    // MARK: Profiles and links

    func profile(for identity: ChannelIdentity) -> SandraProfile? {
        links[identity].flatMap { profilesByID[$0] }
    }

    func profile(id: String) -> SandraProfile? {
        profilesByID[id]
    }

    func identities(ofProfile profileID: String) -> [ChannelIdentity] {
        links.filter { $0.value == profileID }.map(\.key)
            .sorted { ($0.channel, $0.userID) < ($1.channel, $1.userID) }
    }

    func links(limit: Int) -> [IdentityLink] {
        let all = links.compactMap { identity, profileID in
            profilesByID[profileID].map { IdentityLink(identity: identity, profile: $0, linkedAt: linkedAt[identity] ?? .distantPast) }
        }
        return Array(all.sorted { ($0.linkedAt, $0.identity.description) > ($1.linkedAt, $1.identity.description) }.prefix(max(0, limit)))
    }

    mutating func updateProfile(_ profile: SandraProfile) throws {
        guard var stored = profilesByID[profile.id] else {
            throw StoreError(.invalidTransition, "cannot update profile \(profile.id): no such profile")
        }
        stored.displayName = profile.displayName
        stored.preferences = profile.preferences
        profilesByID[profile.id] = stored
    }

    mutating func link(_ identity: ChannelIdentity, toVerifiedEmail email: String, at now: Date) -> SandraProfile {
        let key = email.lowercased()
        let profile: SandraProfile
        if let id = profileIDByEmail[key], let existing = profilesByID[id] {
            profile = existing
        } else {
            profile = SandraProfile(id: UUID().uuidString.lowercased(), email: key)
            profilesByID[profile.id] = profile
            profileIDByEmail[key] = profile.id
        }
        links[identity] = profile.id
        linkedAt[identity] = now
        record(.linked, identity, profileID: profile.id, at: now)
        return profile
    }

    mutating func unlink(_ identity: ChannelIdentity, at now: Date) -> SandraProfile? {
        guard let profileID = links.removeValue(forKey: identity) else { return nil }
        linkedAt[identity] = nil
        record(.unlinked, identity, profileID: profileID, at: now)
        return profilesByID[profileID]
    }

    // MARK: Pending codes

    mutating func issueCode(_ code: PendingCode, limits: CodeLimits, at now: Date) -> CodeIssue {
        let since = now.addingTimeInterval(-limits.window)
        let recent = audit.filter { $0.action == .codeIssued && $0.at > since }
        if recent.count(where: { $0.identity == code.identity }) >= limits.perIdentity { return .identityLimited }
        if recent.count(where: { $0.emailDigest == code.emailDigest }) >= limits.perEmail { return .emailLimited }
        var stored = code
        stored.email = code.email.lowercased()
        pendingByIdentity[code.identity] = stored
        record(.codeIssued, code.identity, emailDigest: code.emailDigest, at: now)
        return .issued
    }

    func pendingCode(for identity: ChannelIdentity) -> PendingCode? {
        pendingByIdentity[identity]
    }

    mutating func recordWrongCode(_ codeID: String, maxAttempts: Int, at now: Date) -> WrongCodeOutcome {
        guard var code = pending(codeID) else { return .gone }
        code.failedAttempts += 1
        if code.failedAttempts >= maxAttempts {
            pendingByIdentity[code.identity] = nil
            record(.lockedOut, code.identity, emailDigest: code.emailDigest, at: now)
            return .lockedOut
        }
        pendingByIdentity[code.identity] = code
        return .attemptsLeft(maxAttempts - code.failedAttempts)
    }

    mutating func redeemCode(_ codeID: String, at now: Date) -> SandraProfile? {
        guard let code = pending(codeID), now < code.expiresAt else { return nil }
        pendingByIdentity[code.identity] = nil
        return link(code.identity, toVerifiedEmail: code.email, at: now)
    }

    mutating func discardCode(_ codeID: String, reason: IdentityAuditRecord.Action, at now: Date) -> Bool {
        guard let code = pending(codeID) else { return false }
        pendingByIdentity[code.identity] = nil
        record(reason, code.identity, emailDigest: code.emailDigest, at: now)
        return true
    }

    mutating func purgeExpiredCodes(at now: Date) -> Int {
        let expired = pendingByIdentity.values.filter { $0.mailState == .sent && $0.expiresAt <= now }
            .sorted { ($0.expiresAt, $0.id) < ($1.expiresAt, $1.id) }
        for code in expired {
            pendingByIdentity[code.identity] = nil
            record(.codeExpired, code.identity, emailDigest: code.emailDigest, at: now)
        }
        return expired.count
    }

    // MARK: The emails owed

    func codesAwaitingMail(at now: Date, limit: Int) -> [PendingCode] {
        guard limit > 0 else { return [] }
        let due = pendingByIdentity.values.filter { $0.mailState == .pending && ($0.mailNextAttemptAt ?? .distantPast) <= now }
        return Array(due.sorted {
            ($0.mailNextAttemptAt ?? .distantPast, $0.createdAt, $0.id) < ($1.mailNextAttemptAt ?? .distantPast, $1.createdAt, $1.id)
        }.prefix(limit))
    }

    mutating func markCodeMailed(_ codeID: String) -> Bool {
        guard var code = pending(codeID) else { return false }
        code.mailState = .sent
        code.mailNextAttemptAt = nil
        pendingByIdentity[code.identity] = code
        return true
    }

    mutating func deferCodeMail(_ codeID: String, reason: String, nextAttemptAt: Date) -> Bool {
        guard var code = pending(codeID) else { return false }
        code.mailState = .pending
        code.mailAttempts += 1
        code.mailLastError = reason
        code.mailNextAttemptAt = nextAttemptAt
        pendingByIdentity[code.identity] = code
        return true
    }

    mutating func reissueCode(_ codeID: String, as replacement: PendingCode, at now: Date) -> Bool {
        guard var code = pending(codeID) else { return false }
        code.id = replacement.id
        code.sealed = replacement.sealed
        code.createdAt = replacement.createdAt
        code.expiresAt = replacement.expiresAt
        code.failedAttempts = 0
        pendingByIdentity[code.identity] = code
        record(.codeReissued, code.identity, emailDigest: code.emailDigest, at: now)
        return true
    }

    // MARK: Audit

    func auditRecords(of identity: ChannelIdentity?, limit: Int) -> [IdentityAuditRecord] {
        guard limit > 0 else { return [] }
        let matching = identity.map { wanted in audit.filter { $0.identity == wanted } } ?? audit
        return Array(matching.suffix(limit))
    }

    // MARK: Erasure

    /// Deletes the identity's link, pending code and audit records, and its profile when no
    /// other identity is linked to it.
    /// - Returns: how many records were deleted.
    mutating func erase(_ identity: ChannelIdentity) -> Int {
        var deleted = 0
        if let profileID = links.removeValue(forKey: identity) {
            deleted += 1
            linkedAt[identity] = nil
            if !links.values.contains(profileID), let profile = profilesByID.removeValue(forKey: profileID) {
                profileIDByEmail[profile.email] = nil
                deleted += 1
            }
        }
        if pendingByIdentity.removeValue(forKey: identity) != nil { deleted += 1 }
        let before = audit.count
        audit.removeAll { $0.identity == identity }
        deleted += before - audit.count
        return deleted
    }

    // MARK: Helpers

    private func pending(_ codeID: String) -> PendingCode? {
        pendingByIdentity.values.first { $0.id == codeID }
    }

    private mutating func record(_ action: IdentityAuditRecord.Action, _ identity: ChannelIdentity, profileID: String? = nil,
                                 emailDigest: String? = nil, at now: Date) {
        audit.append(IdentityAuditRecord(id: nextAuditID, at: now, action: action, identity: identity,
                                         profileID: profileID, emailDigest: emailDigest))
        nextAuditID += 1
    }
}
