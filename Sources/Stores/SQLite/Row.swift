import ChannelKit
import Foundation
import SQLiteNIO

/// Conversions between the contract's values and SQLite columns.
enum Row {
    // MARK: Times: integer milliseconds since 1970

    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// `date` as it reads back from the store (millisecond precision).
    static func stored(_ date: Date) -> Date {
        self.date(milliseconds: milliseconds(date))
    }

    // MARK: Binds

    static func bind(_ value: Int64) -> SQLiteData { .integer(SQLiteInt64(value)) }
    static func bind(_ value: Int) -> SQLiteData { .integer(SQLiteInt64(value)) }
    static func bind(_ value: String) -> SQLiteData { .text(value) }
    static func bind(_ value: String?) -> SQLiteData { value.map(SQLiteData.text) ?? .null }
    static func bind(_ value: Date) -> SQLiteData { .integer(SQLiteInt64(milliseconds(value))) }
    static func bind(_ value: Date?) -> SQLiteData { value.map { bind($0) } ?? .null }

    // MARK: JSON

    static func json<Value: Encodable>(_ value: Value) throws -> String {
        let data = try JSONEncoder().encode(value)
        return String(decoding: data, as: UTF8.self)
    }

    static func decode<Value: Decodable>(_ type: Value.Type, json: String, column: String) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: Data(json.utf8))
        } catch {
            throw StoreError(.corrupt, "\(column) does not decode as \(type): \(error)")
        }
    }

    // MARK: Reading columns

    static func integer(_ row: SQLiteRow, _ name: String) throws -> Int64 {
        guard let value = row.column(name), case .integer(let integer) = value else {
            throw StoreError(.corrupt, "column \(name) is not an integer")
        }
        return Int64(integer)
    }

    static func optionalInteger(_ row: SQLiteRow, _ name: String) throws -> Int64? {
        switch row.column(name) {
        case .none, .null?: return nil
        case .integer(let integer)?: return Int64(integer)
        default: throw StoreError(.corrupt, "column \(name) is not an integer")
        }
    }

    static func text(_ row: SQLiteRow, _ name: String) throws -> String {
        guard let value = row.column(name), case .text(let text) = value else {
            throw StoreError(.corrupt, "column \(name) is not text")
        }
        return text
    }

    static func optionalText(_ row: SQLiteRow, _ name: String) throws -> String? {
        switch row.column(name) {
        case .none, .null?: return nil
        case .text(let text)?: return text
        default: throw StoreError(.corrupt, "column \(name) is not text")
        }
    }

    static func optionalDate(_ row: SQLiteRow, _ name: String) throws -> Date? {
        try optionalInteger(row, name).map { date(milliseconds: $0) }
    }

    // MARK: Whole rows

    /// The inbox columns ``inboxItem(_:)`` reads.
    static let inboxColumns =
        "id, event_json, state, attempts, next_attempt_at, lease_expires_at, last_error, received_at, updated_at"

    static func inboxItem(_ row: SQLiteRow) throws -> InboxItem {
        let stateName = try text(row, "state")
        guard let state = InboxState(rawValue: stateName) else {
            throw StoreError(.corrupt, "unknown inbox state \(stateName)")
        }
        return InboxItem(
            id: try integer(row, "id"),
            event: try decode(InboundEvent.self, json: try text(row, "event_json"), column: "inbox.event_json"),
            state: state,
            attempts: Int(try integer(row, "attempts")),
            nextAttemptAt: try optionalDate(row, "next_attempt_at"),
            leaseExpiresAt: try optionalDate(row, "lease_expires_at"),
            lastError: try optionalText(row, "last_error"),
            receivedAt: date(milliseconds: try integer(row, "received_at")),
            updatedAt: date(milliseconds: try integer(row, "updated_at"))
        )
    }

    /// The outbox columns ``outboxPart(_:)`` reads.
    static let outboxColumns = "id, inbox_id, part_index, message_json, state, platform_message_id, last_error"

    static func outboxPart(_ row: SQLiteRow) throws -> OutboxPart {
        let stateName = try text(row, "state")
        guard let state = OutboxState(rawValue: stateName) else {
            throw StoreError(.corrupt, "unknown outbox state \(stateName)")
        }
        return OutboxPart(
            id: try text(row, "id"),
            inboxID: try integer(row, "inbox_id"),
            index: Int(try integer(row, "part_index")),
            message: try decode(OutboundMessage.self, json: try text(row, "message_json"), column: "outbox.message_json"),
            state: state,
            platformMessageID: try optionalText(row, "platform_message_id"),
            lastError: try optionalText(row, "last_error")
        )
    }

    static func turn(_ row: SQLiteRow) throws -> ConversationTurn {
        let roleName = try text(row, "role")
        guard let role = ConversationTurn.Role(rawValue: roleName) else {
            throw StoreError(.corrupt, "unknown conversation role \(roleName)")
        }
        return ConversationTurn(role: role, text: try text(row, "text"),
                                timestamp: date(milliseconds: try integer(row, "timestamp_ms")))
    }

    // MARK: Errors

    /// The contract's error for whatever a store operation threw.
    static func storeError(_ error: any Error, while action: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? SQLiteError {
            switch error.reason {
            case .corrupt, .corruptIndex, .corruptSequenceSchema, .corruptVirtualTable, .notADatabase, .format:
                return StoreError(.corrupt, "\(action): \(error)")
            default:
                // Disk full, read-only, I/O errors, cannot open, busy beyond the timeout, …
                return StoreError(.unavailable, "\(action): \(error)")
            }
        }
        return StoreError(.unavailable, "\(action): \(error)")
    }
}
