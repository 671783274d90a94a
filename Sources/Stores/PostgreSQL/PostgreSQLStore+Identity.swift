import ChannelKit
import Foundation
import PostgresNIO
import StoreSupport

// MARK: - IdentityStore
//
// Every change runs in one transaction, so it commits atomically with its audit record.
// Issuing a code counts the recent issues and inserts under a transaction-scoped advisory
// lock, so that two hosts issuing at once cannot both pass the rate limit.

extension PostgreSQLStore {
    /// The key of the advisory lock code issues take: "sandra-codes" in ASCII, cut to 8 bytes.
    static let codeIssueLock: Int64 = 0x73616E6472612D63

    public func profile(for identity: ChannelIdentity) async throws -> SandraProfile? {
        try await session("reading the profile of a channel identity") { session in
            try await session.firstRow("""
                SELECT \(unescaped: Rows.profileColumns("p")) FROM identity_links l JOIN identity_profiles p ON p.id = l.profile_id
                WHERE l.channel = \(identity.channel) AND l.user_id = \(identity.userID)
                """, Rows.profile)
        }
    }

    public func identities(ofProfile profileID: String) async throws -> [ChannelIdentity] {
        try await session("listing the identities of a profile") { session in
            try await session.rows("""
                SELECT channel, user_id FROM identity_links WHERE profile_id = \(profileID) ORDER BY channel, user_id
                """, Rows.identity)
        }
    }

    public func profile(id: String) async throws -> SandraProfile? {
        try await session("reading a profile") { session in
            try await session.firstRow("SELECT \(unescaped: Rows.profileColumns("p")) FROM identity_profiles p WHERE p.id = \(id)",
                                       Rows.profile)
        }
    }

    public func updateProfile(_ profile: SandraProfile, at now: Date) async throws {
        let preferences = StoredJSON.encode(profile.preferences)
        try await session("updating a profile") { session in
            let updated = try await session.returnsRow("""
                UPDATE identity_profiles SET display_name = \(profile.displayName), preferences_json = \(preferences),
                                             updated_at = \(Rows.ms(now))
                WHERE id = \(profile.id) RETURNING 1
                """)
            guard updated else { throw StoreError(.invalidTransition, "cannot update profile \(profile.id): no such profile") }
        }
    }

    public func link(_ identity: ChannelIdentity, toVerifiedEmail email: String, at now: Date) async throws -> SandraProfile {
        try await transaction("linking a channel identity") { session in
            try await Self.link(identity, toVerifiedEmail: email, at: now, on: session)
        }
    }

    public func unlink(_ identity: ChannelIdentity, at now: Date) async throws -> SandraProfile? {
        try await transaction("unlinking a channel identity") { session in
            guard let profileID = try await session.firstRow("""
                DELETE FROM identity_links WHERE channel = \(identity.channel) AND user_id = \(identity.userID) RETURNING profile_id
                """, { try $0.decode(String.self) }) else { return nil }
            try await Self.audit(.unlinked, identity, profileID: profileID, emailDigest: nil, at: now, on: session)
            return try await session.firstRow(
                "SELECT \(unescaped: Rows.profileColumns("p")) FROM identity_profiles p WHERE p.id = \(profileID)", Rows.profile)
        }
    }

    // MARK: Pending codes

    public func issueCode(_ code: PendingCode, limits: CodeLimits, at now: Date) async throws -> CodeIssue {
        let since = Rows.ms(now.addingTimeInterval(-limits.window))
        return try await transaction("issuing an identity link code") { session in
            try await session.run("SELECT pg_advisory_xact_lock(\(Self.codeIssueLock))")
            let counts = try await session.firstRow("""
                SELECT
                  (SELECT count(*) FROM identity_audit
                   WHERE channel = \(code.identity.channel) AND user_id = \(code.identity.userID)
                     AND action = 'code_issued' AND at > \(since)),
                  (SELECT count(*) FROM identity_audit
                   WHERE email_digest = \(code.emailDigest) AND action = 'code_issued' AND at > \(since))
                """) { try $0.decode((Int64, Int64).self) }
            guard case let (byIdentity, byEmail)? = counts else { throw StoreError(.corrupt, "the rate-limit count returned no row") }
            if byIdentity >= Int64(limits.perIdentity) { return .identityLimited }
            if byEmail >= Int64(limits.perEmail) { return .emailLimited }
            try await session.run("""
                DELETE FROM identity_pending_codes WHERE channel = \(code.identity.channel) AND user_id = \(code.identity.userID)
                """)
            try await session.run("""
                INSERT INTO identity_pending_codes (\(unescaped: Rows.pendingCodeColumns))
                VALUES (\(code.identity.channel), \(code.identity.userID), \(code.id), \(code.email.lowercased()),
                        \(code.emailDigest), \(code.sealed.salt), \(code.sealed.hash), \(Rows.ms(code.createdAt)),
                        \(Rows.ms(code.expiresAt)), \(Int64(code.failedAttempts)), \(code.mailState.rawValue),
                        \(Int64(code.mailAttempts)), \(Rows.ms(code.mailNextAttemptAt)), \(code.mailLastError))
                """)
            try await Self.audit(.codeIssued, code.identity, profileID: nil, emailDigest: code.emailDigest, at: now, on: session)
            return .issued
        }
    }

    public func pendingCode(for identity: ChannelIdentity) async throws -> PendingCode? {
        try await session("reading a pending identity link code") { session in
            try await session.firstRow("""
                SELECT \(unescaped: Rows.pendingCodeColumns) FROM identity_pending_codes
                WHERE channel = \(identity.channel) AND user_id = \(identity.userID)
                """, Rows.pendingCode)
        }
    }

    public func recordWrongCode(_ codeID: String, maxAttempts: Int, at now: Date) async throws -> WrongCodeOutcome {
        try await transaction("counting a wrong identity link code") { session in
            guard case let (failed, channel, userID, emailDigest)? = try await session.firstRow("""
                UPDATE identity_pending_codes SET failed_attempts = failed_attempts + 1 WHERE code_id = \(codeID)
                RETURNING failed_attempts, channel, user_id, email_digest
                """, { try $0.decode((Int64, String, String, String).self) }) else { return .gone }
            guard Int(failed) >= maxAttempts else { return .attemptsLeft(maxAttempts - Int(failed)) }
            try await session.run("DELETE FROM identity_pending_codes WHERE code_id = \(codeID)")
            try await Self.audit(.lockedOut, ChannelIdentity(channel: channel, userID: userID), profileID: nil,
                                 emailDigest: emailDigest, at: now, on: session)
            return .lockedOut
        }
    }

    public func redeemCode(_ codeID: String, at now: Date) async throws -> SandraProfile? {
        try await transaction("redeeming an identity link code") { session in
            guard case let (channel, userID, email)? = try await session.firstRow("""
                DELETE FROM identity_pending_codes WHERE code_id = \(codeID) AND expires_at > \(Rows.ms(now))
                RETURNING channel, user_id, email
                """, { try $0.decode((String, String, String).self) }) else { return nil }
            return try await Self.link(ChannelIdentity(channel: channel, userID: userID), toVerifiedEmail: email, at: now,
                                       on: session)
        }
    }

    public func discardCode(_ codeID: String, reason: IdentityAuditRecord.Action, at now: Date) async throws -> Bool {
        try await transaction("discarding an identity link code") { session in
            guard case let (channel, userID, emailDigest)? = try await session.firstRow("""
                DELETE FROM identity_pending_codes WHERE code_id = \(codeID) RETURNING channel, user_id, email_digest
                """, { try $0.decode((String, String, String).self) }) else { return false }
            try await Self.audit(reason, ChannelIdentity(channel: channel, userID: userID), profileID: nil,
                                 emailDigest: emailDigest, at: now, on: session)
            return true
        }
    }

    public func purgeExpiredCodes(at now: Date) async throws -> Int {
        try await transaction("deleting expired identity link codes") { session in
            let rows = try await session.rows("""
                DELETE FROM identity_pending_codes WHERE mail_state = 'sent' AND expires_at <= \(Rows.ms(now))
                RETURNING channel, user_id, email_digest, expires_at, code_id
                """) { try $0.decode((String, String, String, Int64, String).self) }
            let ordered = rows.sorted { ($0.3, $0.4) < ($1.3, $1.4) }
            for (channel, userID, emailDigest, _, _) in ordered {
                try await Self.audit(.codeExpired, ChannelIdentity(channel: channel, userID: userID), profileID: nil,
                                     emailDigest: emailDigest, at: now, on: session)
            }
            return ordered.count
        }
    }
}
