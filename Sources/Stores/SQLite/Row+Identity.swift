import ChannelKit
import Foundation
import SQLiteNIO

/// Conversions between identity linking's values and SQLite columns.
extension Row {
    /// The profile columns ``profile(_:)`` reads, qualified with a table alias.
    static func profileColumns(_ alias: String) -> String {
        "\(alias).id AS id, \(alias).email AS email, \(alias).display_name AS display_name, \(alias).preferences_json AS preferences_json"
    }

    static func profile(_ row: SQLiteRow) throws -> SandraProfile {
        SandraProfile(
            id: try text(row, "id"),
            email: try text(row, "email"),
            displayName: try optionalText(row, "display_name"),
            preferences: try decode([String: String].self, json: try text(row, "preferences_json"),
                                    column: "identity_profiles.preferences_json")
        )
    }

    /// The columns of `identity_pending_codes`, in the order of ``binds(of:)``.
    static let pendingCodeColumns = """
        channel, user_id, code_id, email, email_digest, code_salt, code_hash, created_at, expires_at, \
        failed_attempts, mail_state, mail_attempts, mail_next_attempt_at, mail_last_error
        """

    /// The values of a pending code for an `INSERT` naming ``pendingCodeColumns``.
    static func binds(of code: PendingCode) -> [SQLiteData] {
        [
            bind(code.identity.channel), bind(code.identity.userID), bind(code.id), bind(code.email.lowercased()),
            bind(code.emailDigest), bind(code.sealed.salt), bind(code.sealed.hash), bind(code.createdAt), bind(code.expiresAt),
            bind(code.failedAttempts), bind(code.mailState.rawValue), bind(code.mailAttempts), bind(code.mailNextAttemptAt),
            bind(code.mailLastError),
        ]
    }

    static func pendingCode(_ row: SQLiteRow) throws -> PendingCode {
        let stateName = try text(row, "mail_state")
        guard let mailState = PendingCode.MailState(rawValue: stateName) else {
            throw StoreError(.corrupt, "unknown mail state \(stateName)")
        }
        return PendingCode(
            id: try text(row, "code_id"),
            identity: try identity(row),
            email: try text(row, "email"),
            emailDigest: try text(row, "email_digest"),
            sealed: LinkCode.Sealed(salt: try text(row, "code_salt"), hash: try text(row, "code_hash")),
            createdAt: date(milliseconds: try integer(row, "created_at")),
            expiresAt: date(milliseconds: try integer(row, "expires_at")),
            failedAttempts: Int(try integer(row, "failed_attempts")),
            mailState: mailState,
            mailAttempts: Int(try integer(row, "mail_attempts")),
            mailNextAttemptAt: try optionalDate(row, "mail_next_attempt_at"),
            mailLastError: try optionalText(row, "mail_last_error")
        )
    }

    /// The `channel` and `user_id` columns.
    static func identity(_ row: SQLiteRow) throws -> ChannelIdentity {
        ChannelIdentity(channel: try text(row, "channel"), userID: try text(row, "user_id"))
    }

    static func auditRecord(_ row: SQLiteRow) throws -> IdentityAuditRecord {
        let actionName = try text(row, "action")
        guard let action = IdentityAuditRecord.Action(rawValue: actionName) else {
            throw StoreError(.corrupt, "unknown identity audit action \(actionName)")
        }
        return IdentityAuditRecord(
            id: try integer(row, "id"),
            at: date(milliseconds: try integer(row, "at")),
            action: action,
            identity: try identity(row),
            profileID: try optionalText(row, "profile_id"),
            emailDigest: try optionalText(row, "email_digest")
        )
    }
}
