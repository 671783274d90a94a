import ChannelKit
import Foundation
import PostgresNIO

// MARK: - IdentityStore: the emails owed, the audit log, and linking itself.

extension PostgreSQLStore {
    public func codesAwaitingMail(at now: Date, limit: Int) async throws -> [PendingCode] {
        guard limit > 0 else { return [] }
        return try await session("listing owed verification emails") { session in
            try await session.rows("""
                SELECT \(unescaped: Rows.pendingCodeColumns) FROM identity_pending_codes
                WHERE mail_state = 'pending' AND (mail_next_attempt_at IS NULL OR mail_next_attempt_at <= \(Rows.ms(now)))
                ORDER BY mail_next_attempt_at NULLS FIRST, created_at, code_id
                LIMIT \(Int64(limit))
                """, Rows.pendingCode)
        }
    }

    public func markCodeMailed(_ codeID: String, at now: Date) async throws -> Bool {
        try await session("recording a sent verification email") { session in
            try await session.returnsRow("""
                UPDATE identity_pending_codes SET mail_state = 'sent', mail_next_attempt_at = NULL WHERE code_id = \(codeID)
                RETURNING 1
                """)
        }
    }

    public func deferCodeMail(_ codeID: String, reason: String, nextAttemptAt: Date, at now: Date) async throws -> Bool {
        try await session("recording a failed verification email") { session in
            try await session.returnsRow("""
                UPDATE identity_pending_codes
                SET mail_state = 'pending', mail_attempts = mail_attempts + 1, mail_last_error = \(reason),
                    mail_next_attempt_at = \(Rows.ms(nextAttemptAt))
                WHERE code_id = \(codeID)
                RETURNING 1
                """)
        }
    }

    public func reissueCode(_ codeID: String, as replacement: PendingCode, at now: Date) async throws -> Bool {
        try await transaction("reissuing an identity link code") { session in
            guard case let (channel, userID, emailDigest)? = try await session.firstRow("""
                UPDATE identity_pending_codes
                SET code_id = \(replacement.id), code_salt = \(replacement.sealed.salt), code_hash = \(replacement.sealed.hash),
                    created_at = \(Rows.ms(replacement.createdAt)), expires_at = \(Rows.ms(replacement.expiresAt)),
                    failed_attempts = 0
                WHERE code_id = \(codeID)
                RETURNING channel, user_id, email_digest
                """, { try $0.decode((String, String, String).self) }) else { return false }
            try await Self.audit(.codeReissued, ChannelIdentity(channel: channel, userID: userID), profileID: nil,
                                 emailDigest: emailDigest, at: now, on: session)
            return true
        }
    }

    public func auditRecords(of identity: ChannelIdentity?, limit: Int) async throws -> [IdentityAuditRecord] {
        guard limit > 0 else { return [] }
        return try await session("reading the identity audit log") { session in
            if let identity {
                return try await session.rows("""
                    SELECT \(unescaped: Rows.auditColumns) FROM identity_audit
                    WHERE channel = \(identity.channel) AND user_id = \(identity.userID)
                    ORDER BY id DESC LIMIT \(Int64(limit))
                    """, Rows.auditRecord).reversed()
            }
            return try await session.rows("""
                SELECT \(unescaped: Rows.auditColumns) FROM identity_audit ORDER BY id DESC LIMIT \(Int64(limit))
                """, Rows.auditRecord).reversed()
        }
    }

    // MARK: Helpers

    /// Finds or creates the profile of `email`, points the identity's link at it and audits.
    /// Two hosts linking one new address at once make one profile: the second insert meets
    /// the first's unique key, waits for its commit and inserts nothing; the read after it
    /// sees the committed profile.
    static func link(_ identity: ChannelIdentity, toVerifiedEmail email: String, at now: Date,
                     on session: Session) async throws -> SandraProfile {
        let key = email.lowercased()
        try await session.run("""
            INSERT INTO identity_profiles (id, email, preferences_json, created_at, updated_at)
            VALUES (\(UUID().uuidString.lowercased()), \(key), '{}', \(Rows.ms(now)), \(Rows.ms(now)))
            ON CONFLICT (email) DO NOTHING
            """)
        guard let profile = try await session.firstRow(
            "SELECT \(unescaped: Rows.profileColumns("p")) FROM identity_profiles p WHERE p.email = \(key)", Rows.profile)
        else {
            throw StoreError(.unavailable, "the profile of a linked address vanished while linking")
        }
        try await session.run("""
            INSERT INTO identity_links (channel, user_id, profile_id, linked_at)
            VALUES (\(identity.channel), \(identity.userID), \(profile.id), \(Rows.ms(now)))
            ON CONFLICT (channel, user_id) DO UPDATE SET profile_id = excluded.profile_id, linked_at = excluded.linked_at
            """)
        try await audit(.linked, identity, profileID: profile.id, emailDigest: nil, at: now, on: session)
        return profile
    }

    static func audit(_ action: IdentityAuditRecord.Action, _ identity: ChannelIdentity, profileID: String?,
                      emailDigest: String?, at now: Date, on session: Session) async throws {
        try await session.run("""
            INSERT INTO identity_audit (at, action, channel, user_id, profile_id, email_digest)
            VALUES (\(Rows.ms(now)), \(action.rawValue), \(identity.channel), \(identity.userID), \(profileID), \(emailDigest))
            """)
    }
}
