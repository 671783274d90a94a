import ChannelKit
import Foundation
import PostgresNIO
import StoreSupport

/// Conversions between identity linking's values and PostgreSQL rows.
extension Rows {
    /// The profile columns ``profile(_:)`` reads, in its order, qualified with a table alias.
    static func profileColumns(_ alias: String) -> String {
        "\(alias).id, \(alias).email, \(alias).display_name, \(alias).preferences_json"
    }

    static func profile(_ row: PostgresRow) throws -> SandraProfile {
        let (id, email, displayName, preferences) = try row.decode((String, String, String?, String).self)
        return SandraProfile(id: id, email: email, displayName: displayName, preferences: try Rows.preferences(preferences))
    }

    /// A profile's preferences, from their JSON column.
    static func preferences(_ json: String) throws -> [String: String] {
        try StoredValues.decode([String: String].self, json: json, column: "identity_profiles.preferences_json")
    }

    /// The columns of `identity_pending_codes`, in the order ``pendingCode(_:)`` reads them.
    static let pendingCodeColumns = """
        channel, user_id, code_id, email, email_digest, code_salt, code_hash, created_at, expires_at, \
        failed_attempts, mail_state, mail_attempts, mail_next_attempt_at, mail_last_error
        """

    static func pendingCode(_ row: PostgresRow) throws -> PendingCode {
        let (channel, userID, codeID, email, emailDigest, salt, hash, created, expires, failed, mailState, mailAttempts,
             mailNext, mailError) = try row.decode(
                (String, String, String, String, String, String, String, Int64, Int64, Int64, String, Int64, Int64?, String?).self)
        return PendingCode(
            id: codeID,
            identity: ChannelIdentity(channel: channel, userID: userID),
            email: email,
            emailDigest: emailDigest,
            sealed: LinkCode.Sealed(salt: salt, hash: hash),
            createdAt: date(created),
            expiresAt: date(expires),
            failedAttempts: Int(failed),
            mailState: try StoredValues.named(PendingCode.MailState.self, mailState, what: "mail state"),
            mailAttempts: Int(mailAttempts),
            mailNextAttemptAt: mailNext.map(date),
            mailLastError: mailError)
    }

    /// The `channel` and `user_id` columns, first in the row.
    static func identity(_ row: PostgresRow) throws -> ChannelIdentity {
        let (channel, userID) = try row.decode((String, String).self)
        return ChannelIdentity(channel: channel, userID: userID)
    }

    /// The audit columns ``auditRecord(_:)`` reads, in its order.
    static let auditColumns = "id, at, action, channel, user_id, profile_id, email_digest"

    static func auditRecord(_ row: PostgresRow) throws -> IdentityAuditRecord {
        let (id, at, action, channel, userID, profileID, emailDigest) =
            try row.decode((Int64, Int64, String, String, String, String?, String?).self)
        return IdentityAuditRecord(
            id: id, at: date(at),
            action: try StoredValues.named(IdentityAuditRecord.Action.self, action, what: "identity audit action"),
            identity: ChannelIdentity(channel: channel, userID: userID),
            profileID: profileID, emailDigest: emailDigest)
    }
}
