import ChannelKit
import Foundation
import StoreSupport

// MARK: - IdentityStore
//
// Every change runs in one write job, so it commits atomically with its audit record; the
// writer runs one job at a time, so the rate-limit count and the insert cannot interleave
// with another issue.

extension SQLiteStore {
    public func profile(for identity: ChannelIdentity) async throws -> SandraProfile? {
        try read("reading the profile of a channel identity") { database in
            try database.firstRow("""
                SELECT \(Row.profileColumns("p")) FROM identity_links l JOIN identity_profiles p ON p.id = l.profile_id
                WHERE l.channel = ? AND l.user_id = ?
                """, [Row.bind(identity.channel), Row.bind(identity.userID)], Row.profile)
        }
    }

    public func identities(ofProfile profileID: String) async throws -> [ChannelIdentity] {
        try read("listing the identities of a profile") { database in
            try database.rows(
                "SELECT channel, user_id FROM identity_links WHERE profile_id = ? ORDER BY channel, user_id", [Row.bind(profileID)]
            ) { try Row.identity($0, at: 0) }
        }
    }

    public func profile(id: String) async throws -> SandraProfile? {
        try read("reading a profile") { database in
            try database.firstRow("SELECT \(Row.profileColumns("p")) FROM identity_profiles p WHERE p.id = ?", [Row.bind(id)],
                                  Row.profile)
        }
    }

    public func updateProfile(_ profile: SandraProfile, at now: Date) async throws {
        let preferences = StoredJSON.encode(profile.preferences)
        try await write("updating a profile") { database in
            let updated = try database.firstRow("""
                UPDATE identity_profiles SET display_name = ?1, preferences_json = ?2, updated_at = ?3 WHERE id = ?4 RETURNING id
                """, [Row.bind(profile.displayName), Row.bind(preferences), Row.bind(now), Row.bind(profile.id)]) { _ in true }
            guard updated == true else {
                throw StoreError(.invalidTransition, "cannot update profile \(profile.id): no such profile")
            }
        }
    }

    public func link(_ identity: ChannelIdentity, toVerifiedEmail email: String, at now: Date) async throws -> SandraProfile {
        try await write("linking a channel identity") { database in
            try Self.link(identity, toVerifiedEmail: email, at: now, on: database)
        }
    }

    public func unlink(_ identity: ChannelIdentity, at now: Date) async throws -> SandraProfile? {
        try await write("unlinking a channel identity") { database in
            guard let profileID = try database.firstRow(
                "DELETE FROM identity_links WHERE channel = ? AND user_id = ? RETURNING profile_id",
                [Row.bind(identity.channel), Row.bind(identity.userID)], { try $0.text(0) }) else { return nil }
            try Self.audit(.unlinked, identity, profileID: profileID, emailDigest: nil, at: now, on: database)
            return try database.firstRow("SELECT \(Row.profileColumns("p")) FROM identity_profiles p WHERE p.id = ?",
                                         [Row.bind(profileID)], Row.profile)
        }
    }

    // MARK: Pending codes

    public func issueCode(_ code: PendingCode, limits: CodeLimits, at now: Date) async throws -> CodeIssue {
        let since = now.addingTimeInterval(-limits.window)
        return try await write("issuing an identity link code") { database in
            let counts = try database.firstRow("""
                SELECT
                  (SELECT COUNT(*) FROM identity_audit
                   WHERE channel = ?1 AND user_id = ?2 AND action = 'code_issued' AND at > ?3),
                  (SELECT COUNT(*) FROM identity_audit
                   WHERE email_digest = ?4 AND action = 'code_issued' AND at > ?3)
                """, [Row.bind(code.identity.channel), Row.bind(code.identity.userID), Row.bind(since), Row.bind(code.emailDigest)]
            ) { (byIdentity: try $0.integer(0), byEmail: try $0.integer(1)) }
            guard let counts else { throw StoreError(.corrupt, "the rate-limit count returned no row") }
            if counts.byIdentity >= Int64(limits.perIdentity) { return .identityLimited }
            if counts.byEmail >= Int64(limits.perEmail) { return .emailLimited }
            try database.run("DELETE FROM identity_pending_codes WHERE channel = ? AND user_id = ?",
                             [Row.bind(code.identity.channel), Row.bind(code.identity.userID)])
            try database.run("""
                INSERT INTO identity_pending_codes (\(Row.pendingCodeColumns))
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, Row.binds(of: code))
            try Self.audit(.codeIssued, code.identity, profileID: nil, emailDigest: code.emailDigest, at: now, on: database)
            return .issued
        }
    }

    public func pendingCode(for identity: ChannelIdentity) async throws -> PendingCode? {
        try read("reading a pending identity link code") { database in
            try database.firstRow(
                "SELECT \(Row.pendingCodeColumns) FROM identity_pending_codes WHERE channel = ? AND user_id = ?",
                [Row.bind(identity.channel), Row.bind(identity.userID)], Row.pendingCode)
        }
    }

    public func recordWrongCode(_ codeID: String, maxAttempts: Int, at now: Date) async throws -> WrongCodeOutcome {
        try await write("counting a wrong identity link code") { database in
            guard let row = try database.firstRow("""
                UPDATE identity_pending_codes SET failed_attempts = failed_attempts + 1 WHERE code_id = ?
                RETURNING failed_attempts, channel, user_id, email_digest
                """, [Row.bind(codeID)], {
                    (failed: Int(try $0.integer(0)), identity: try Row.identity($0, at: 1), emailDigest: try $0.text(3))
                }) else { return .gone }
            guard row.failed >= maxAttempts else { return .attemptsLeft(maxAttempts - row.failed) }
            try database.run("DELETE FROM identity_pending_codes WHERE code_id = ?", [Row.bind(codeID)])
            try Self.audit(.lockedOut, row.identity, profileID: nil, emailDigest: row.emailDigest, at: now, on: database)
            return .lockedOut
        }
    }

    public func redeemCode(_ codeID: String, at now: Date) async throws -> SandraProfile? {
        try await write("redeeming an identity link code") { database in
            guard let row = try database.firstRow("""
                DELETE FROM identity_pending_codes WHERE code_id = ? AND expires_at > ?
                RETURNING channel, user_id, email
                """, [Row.bind(codeID), Row.bind(now)], { (identity: try Row.identity($0, at: 0), email: try $0.text(2)) })
            else { return nil }
            return try Self.link(row.identity, toVerifiedEmail: row.email, at: now, on: database)
        }
    }

    public func discardCode(_ codeID: String, reason: IdentityAuditRecord.Action, at now: Date) async throws -> Bool {
        try await write("discarding an identity link code") { database in
            guard let row = try database.firstRow(
                "DELETE FROM identity_pending_codes WHERE code_id = ? RETURNING channel, user_id, email_digest",
                [Row.bind(codeID)], { (identity: try Row.identity($0, at: 0), emailDigest: try $0.text(2)) }) else { return false }
            try Self.audit(reason, row.identity, profileID: nil, emailDigest: row.emailDigest, at: now, on: database)
            return true
        }
    }

    public func purgeExpiredCodes(at now: Date) async throws -> Int {
        try await write("deleting expired identity link codes") { database in
            let rows = try database.rows("""
                DELETE FROM identity_pending_codes WHERE mail_state = 'sent' AND expires_at <= ?
                RETURNING channel, user_id, email_digest, expires_at, code_id
                """, [Row.bind(now)]) { row in
                (identity: try Row.identity(row, at: 0), emailDigest: try row.text(2), expires: try row.integer(3), id: try row.text(4))
            }
            let ordered = rows.sorted { ($0.expires, $0.id) < ($1.expires, $1.id) }
            for entry in ordered {
                try Self.audit(.codeExpired, entry.identity, profileID: nil, emailDigest: entry.emailDigest, at: now, on: database)
            }
            return ordered.count
        }
    }

    // MARK: The emails owed

    public func codesAwaitingMail(at now: Date, limit: Int) async throws -> [PendingCode] {
        guard limit > 0 else { return [] }
        return try read("listing owed verification emails") { database in
            try database.rows("""
                SELECT \(Row.pendingCodeColumns) FROM identity_pending_codes
                WHERE mail_state = 'pending' AND (mail_next_attempt_at IS NULL OR mail_next_attempt_at <= ?)
                ORDER BY mail_next_attempt_at, created_at, code_id
                LIMIT ?
                """, [Row.bind(now), Row.bind(limit)], Row.pendingCode)
        }
    }

    public func markCodeMailed(_ codeID: String, at now: Date) async throws -> Bool {
        try await write("recording a sent verification email") { database in
            try database.firstRow("""
                UPDATE identity_pending_codes SET mail_state = 'sent', mail_next_attempt_at = NULL WHERE code_id = ?
                RETURNING code_id
                """, [Row.bind(codeID)]) { _ in () } != nil
        }
    }

    public func deferCodeMail(_ codeID: String, reason: String, nextAttemptAt: Date, at now: Date) async throws -> Bool {
        try await write("recording a failed verification email") { database in
            try database.firstRow("""
                UPDATE identity_pending_codes
                SET mail_state = 'pending', mail_attempts = mail_attempts + 1, mail_last_error = ?1, mail_next_attempt_at = ?2
                WHERE code_id = ?3
                RETURNING code_id
                """, [Row.bind(reason), Row.bind(nextAttemptAt), Row.bind(codeID)]) { _ in () } != nil
        }
    }

    public func reissueCode(_ codeID: String, as replacement: PendingCode, at now: Date) async throws -> Bool {
        try await write("reissuing an identity link code") { database in
            guard let row = try database.firstRow("""
                UPDATE identity_pending_codes
                SET code_id = ?1, code_salt = ?2, code_hash = ?3, created_at = ?4, expires_at = ?5, failed_attempts = 0
                WHERE code_id = ?6
                RETURNING channel, user_id, email_digest
                """, [Row.bind(replacement.id), Row.bind(replacement.sealed.salt), Row.bind(replacement.sealed.hash),
                      Row.bind(replacement.createdAt), Row.bind(replacement.expiresAt), Row.bind(codeID)],
                { (identity: try Row.identity($0, at: 0), emailDigest: try $0.text(2)) }) else { return false }
            try Self.audit(.codeReissued, row.identity, profileID: nil, emailDigest: row.emailDigest, at: now, on: database)
            return true
        }
    }

    // MARK: Audit

    public func auditRecords(of identity: ChannelIdentity?, limit: Int) async throws -> [IdentityAuditRecord] {
        guard limit > 0 else { return [] }
        let filter = identity == nil ? "" : "WHERE channel = ? AND user_id = ?"
        let binds = (identity.map { [Row.bind($0.channel), Row.bind($0.userID)] } ?? []) + [Row.bind(limit)]
        return try read("reading the identity audit log") { database in
            try database.rows("""
                SELECT \(Row.auditColumns) FROM identity_audit
                \(filter) ORDER BY id DESC LIMIT ?
                """, binds, Row.auditRecord).reversed()
        }
    }

    // MARK: Helpers

    /// Finds or creates the profile of `email`, points the identity's link at it and audits.
    private static func link(_ identity: ChannelIdentity, toVerifiedEmail email: String, at now: Date,
                             on database: Database) throws -> SandraProfile {
        let key = email.lowercased()
        let profile: SandraProfile
        if let existing = try database.firstRow("SELECT \(Row.profileColumns("p")) FROM identity_profiles p WHERE p.email = ?",
                                                [Row.bind(key)], Row.profile) {
            profile = existing
        } else {
            profile = SandraProfile(id: UUID().uuidString.lowercased(), email: key)
            try database.run("""
                INSERT INTO identity_profiles (id, email, preferences_json, created_at, updated_at) VALUES (?1, ?2, '{}', ?3, ?3)
                """, [Row.bind(profile.id), Row.bind(key), Row.bind(now)])
        }
        try database.run("""
            INSERT INTO identity_links (channel, user_id, profile_id, linked_at) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT (channel, user_id) DO UPDATE SET profile_id = excluded.profile_id, linked_at = excluded.linked_at
            """, [Row.bind(identity.channel), Row.bind(identity.userID), Row.bind(profile.id), Row.bind(now)])
        try audit(.linked, identity, profileID: profile.id, emailDigest: nil, at: now, on: database)
        return profile
    }

    private static func audit(_ action: IdentityAuditRecord.Action, _ identity: ChannelIdentity, profileID: String?,
                              emailDigest: String?, at now: Date, on database: Database) throws {
        try database.run("""
            INSERT INTO identity_audit (at, action, channel, user_id, profile_id, email_digest) VALUES (?, ?, ?, ?, ?, ?)
            """, [Row.bind(now), Row.bind(action.rawValue), Row.bind(identity.channel), Row.bind(identity.userID),
                  Row.bind(profileID), Row.bind(emailDigest)])
    }
}
