import ChannelKit
import Foundation

/// Conversions between identity linking's values and SQLite columns.
extension Row {
    /// The profile columns ``profile(_:)`` reads, in its order, qualified with a table alias.
    static func profileColumns(_ alias: String) -> String {
        "\(alias).id, \(alias).email, \(alias).display_name, \(alias).preferences_json"
    }

    static func profile(_ row: Columns) throws -> SandraProfile {
        try profile(row, at: 0)
    }

    /// The profile whose ``profileColumns(_:)`` start at `column`.
    static func profile(_ row: Columns, at column: Int32) throws -> SandraProfile {
        SandraProfile(
            id: try row.text(column),
            email: try row.text(column + 1),
            displayName: try row.optionalText(column + 2),
            preferences: try decode([String: String].self, json: try row.text(column + 3),
                                    column: "identity_profiles.preferences_json")
        )
    }

    /// The columns of `identity_pending_codes`, in the order of ``binds(of:)`` and ``pendingCode(_:)``.
    static let pendingCodeColumns = """
        channel, user_id, code_id, email, email_digest, code_salt, code_hash, created_at, expires_at, \
        failed_attempts, mail_state, mail_attempts, mail_next_attempt_at, mail_last_error
        """

    /// The values of a pending code for an `INSERT` naming ``pendingCodeColumns``.
    static func binds(of code: PendingCode) -> [SQLValue] {
        [
            bind(code.identity.channel), bind(code.identity.userID), bind(code.id), bind(code.email.lowercased()),
            bind(code.emailDigest), bind(code.sealed.salt), bind(code.sealed.hash), bind(code.createdAt), bind(code.expiresAt),
            bind(code.failedAttempts), bind(code.mailState.rawValue), bind(code.mailAttempts), bind(code.mailNextAttemptAt),
            bind(code.mailLastError),
        ]
    }

    static func pendingCode(_ row: Columns) throws -> PendingCode {
        let stateName = try row.text(10)
        guard let mailState = PendingCode.MailState(rawValue: stateName) else {
            throw StoreError(.corrupt, "unknown mail state \(stateName)")
        }
        return PendingCode(
            id: try row.text(2),
            identity: try identity(row, at: 0),
            email: try row.text(3),
            emailDigest: try row.text(4),
            sealed: LinkCode.Sealed(salt: try row.text(5), hash: try row.text(6)),
            createdAt: date(milliseconds: try row.integer(7)),
            expiresAt: date(milliseconds: try row.integer(8)),
            failedAttempts: Int(try row.integer(9)),
            mailState: mailState,
            mailAttempts: Int(try row.integer(11)),
            mailNextAttemptAt: try row.optionalInteger(12).map { date(milliseconds: $0) },
            mailLastError: try row.optionalText(13)
        )
    }

    /// The `channel` and `user_id` columns, at `column` and the one after it.
    static func identity(_ row: Columns, at column: Int32) throws -> ChannelIdentity {
        ChannelIdentity(channel: try row.text(column), userID: try row.text(column + 1))
    }

    /// The audit columns ``auditRecord(_:)`` reads, in its order.
    static let auditColumns = "id, at, action, channel, user_id, profile_id, email_digest"

    static func auditRecord(_ row: Columns) throws -> IdentityAuditRecord {
        let actionName = try row.text(2)
        guard let action = IdentityAuditRecord.Action(rawValue: actionName) else {
            throw StoreError(.corrupt, "unknown identity audit action \(actionName)")
        }
        return IdentityAuditRecord(
            id: try row.integer(0),
            at: date(milliseconds: try row.integer(1)),
            action: action,
            identity: try identity(row, at: 3),
            profileID: try row.optionalText(5),
            emailDigest: try row.optionalText(6)
        )
    }
}
