import ChannelKit
import Foundation
import StoreSupport
import VaporCSQLite

/// Conversions between the contract's values and SQLite columns.
enum Row {
    // MARK: Times: integer milliseconds since 1970 (``StoredValues``)

    static func milliseconds(_ date: Date) -> Int64 { StoredValues.milliseconds(date) }
    static func date(milliseconds: Int64) -> Date { StoredValues.date(milliseconds: milliseconds) }
    /// `date` as it reads back from the store (millisecond precision).
    static func stored(_ date: Date) -> Date { StoredValues.stored(date) }

    // MARK: Binds

    static func bind(_ value: Int64) -> SQLValue { .integer(value) }
    static func bind(_ value: Int) -> SQLValue { .integer(Int64(value)) }
    static func bind(_ value: String) -> SQLValue { .text(value) }
    static func bind(_ value: String?) -> SQLValue { value.map(SQLValue.text) ?? .null }
    static func bind(_ value: Date) -> SQLValue { .integer(milliseconds(value)) }
    static func bind(_ value: Date?) -> SQLValue { value.map { bind($0) } ?? .null }

    // MARK: JSON (``StoredValues``)

    static func decode<Value: Decodable>(_ type: Value.Type, json: String, column: String) throws -> Value {
        try StoredValues.decode(type, json: json, column: column)
    }

    // MARK: Whole rows

    /// The inbox columns ``inboxItem(_:)`` reads, in its order.
    static let inboxColumns =
        "id, event_json, state, attempts, next_attempt_at, lease_expires_at, last_error, received_at, updated_at, unfinished_claims, "
        + "claim_epoch, lease_owner, trace_context"

    static func inboxItem(_ row: Columns) throws -> InboxItem {
        let stateName = try row.text(2)
        guard let state = InboxState(rawValue: stateName) else {
            throw StoreError(.corrupt, "unknown inbox state \(stateName)")
        }
        let id = try row.integer(0)
        return InboxItem(
            id: id,
            event: try StoredEventMemo.shared.event(id: id, json: try row.text(1), state: state, column: "inbox.event_json"),
            state: state,
            attempts: Int(try row.integer(3)),
            nextAttemptAt: try row.optionalInteger(4).map { date(milliseconds: $0) },
            leaseExpiresAt: try row.optionalInteger(5).map { date(milliseconds: $0) },
            lastError: try row.optionalText(6),
            receivedAt: date(milliseconds: try row.integer(7)),
            updatedAt: date(milliseconds: try row.integer(8)),
            unfinishedClaims: Int(try row.integer(9)),
            claimEpoch: try row.integer(10),
            leaseOwner: try row.optionalText(11),
            traceContext: try row.optionalText(12)
        )
    }

    /// The outbox columns ``outboxPart(_:)`` reads, in its order.
    static let outboxColumns = "id, inbox_id, part_index, message_json, state, platform_message_id, last_error"

    static func outboxPart(_ row: Columns) throws -> OutboxPart {
        let stateName = try row.text(4)
        guard let state = OutboxState(rawValue: stateName) else {
            throw StoreError(.corrupt, "unknown outbox state \(stateName)")
        }
        return OutboxPart(
            id: try row.text(0),
            inboxID: try row.integer(1),
            index: Int(try row.integer(2)),
            message: try decode(OutboundMessage.self, json: try row.text(3), column: "outbox.message_json"),
            state: state,
            platformMessageID: try row.optionalText(5),
            lastError: try row.optionalText(6)
        )
    }

    /// The turn columns ``turn(_:)`` reads, in its order.
    static let turnColumns = "role, text, timestamp_ms"

    static func turn(_ row: Columns) throws -> ConversationTurn {
        let roleName = try row.text(0)
        guard let role = ConversationTurn.Role(rawValue: roleName) else {
            throw StoreError(.corrupt, "unknown conversation role \(roleName)")
        }
        return ConversationTurn(role: role, text: try row.text(1), timestamp: date(milliseconds: try row.integer(2)))
    }

    // MARK: Errors

    /// The contract's error for whatever a store operation threw.
    static func storeError(_ error: any Error, while action: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? SQLiteFailure {
            switch error.primaryCode {
            case SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_FORMAT:
                return StoreError(.corrupt, "\(action): \(error)")
            default:
                // Disk full, read-only, I/O errors, cannot open, busy beyond the timeout, …
                return StoreError(.unavailable, "\(action): \(error)")
            }
        }
        return StoreError(.unavailable, "\(action): \(error)")
    }
}
