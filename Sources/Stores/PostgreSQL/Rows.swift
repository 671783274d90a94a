import ChannelKit
import Foundation
import PostgresNIO
import StoreSupport

/// Conversions between the contract's values and PostgreSQL rows.
enum Rows {
    /// `date` as the milliseconds the store keeps.
    static func ms(_ date: Date) -> Int64 { StoredValues.milliseconds(date) }
    static func ms(_ date: Date?) -> Int64? { date.map(StoredValues.milliseconds) }
    static func date(_ milliseconds: Int64) -> Date { StoredValues.date(milliseconds: milliseconds) }

    /// The inbox columns ``inboxItem(_:)`` reads, in its order.
    static let inboxColumns =
        "id, event_json, state, attempts, next_attempt_at, lease_expires_at, last_error, received_at, updated_at, unfinished_claims, "
        + "claim_epoch, lease_owner, trace_context"

    static func inboxItem(_ row: PostgresRow) throws -> InboxItem {
        let (id, json, stateName, attempts, next, lease, lastError, received, updated, unfinished, epoch, owner, traceContext) =
            try row.decode((Int64, String, String, Int64, Int64?, Int64?, String?, Int64, Int64, Int64, Int64, String?, String?).self)
        return try inboxItem(id, json, stateName, attempts, next, lease, lastError, received, updated, unfinished, epoch, owner, traceContext)
    }

    /// ``inboxColumns`` and then the conversation's stored takeover state (`shared_state.value`, or NULL).
    static func claimedInboxItem(_ row: PostgresRow) throws -> InboxItem {
        let (id, json, stateName, attempts, next, lease, lastError, received, updated, unfinished, epoch, owner, traceContext, control) =
            try row.decode((Int64, String, String, Int64, Int64?, Int64?, String?, Int64, Int64, Int64, Int64, String?, String?, String?).self)
        var item = try inboxItem(id, json, stateName, attempts, next, lease, lastError, received, updated, unfinished, epoch, owner, traceContext)
        item.controlReading = ConversationControlReading(stored: control)
        return item
    }

    private static func inboxItem(_ id: Int64, _ json: String, _ stateName: String, _ attempts: Int64, _ next: Int64?, _ lease: Int64?,
                                  _ lastError: String?, _ received: Int64, _ updated: Int64, _ unfinished: Int64, _ epoch: Int64,
                                  _ owner: String?, _ traceContext: String?) throws -> InboxItem {
        let state = try StoredValues.named(InboxState.self, stateName, what: "inbox state")
        return InboxItem(
            id: id,
            event: try StoredEventMemo.shared.event(id: id, json: json, state: state, column: "inbox.event_json"),
            state: state,
            attempts: Int(attempts),
            nextAttemptAt: next.map(date),
            leaseExpiresAt: lease.map(date),
            lastError: lastError,
            receivedAt: date(received),
            updatedAt: date(updated),
            unfinishedClaims: Int(unfinished),
            claimEpoch: epoch,
            leaseOwner: owner,
            traceContext: traceContext)
    }

    /// The outbox columns ``outboxPart(_:)`` reads, in its order.
    static let outboxColumns = "id, inbox_id, part_index, message_json, state, platform_message_id, last_error"

    static func outboxPart(_ row: PostgresRow) throws -> OutboxPart {
        let (id, inboxID, index, json, state, platformID, lastError) =
            try row.decode((String, Int64, Int64, String, String, String?, String?).self)
        return OutboxPart(
            id: id, inboxID: inboxID, index: Int(index),
            message: try StoredValues.decode(OutboundMessage.self, json: json, column: "outbox.message_json"),
            state: try StoredValues.named(OutboxState.self, state, what: "outbox state"),
            platformMessageID: platformID, lastError: lastError)
    }

    /// The turn columns ``turn(_:)`` reads, in its order.
    static let turnColumns = "role, text, timestamp_ms"

    static func turn(_ row: PostgresRow) throws -> ConversationTurn {
        let (role, text, timestamp) = try row.decode((String, String, Int64).self)
        return ConversationTurn(role: try StoredValues.named(ConversationTurn.Role.self, role, what: "conversation role"),
                                text: text, timestamp: date(timestamp))
    }

    /// The columns of ``state(_:)``: counts per inbox state.
    static func stateCount(_ row: PostgresRow) throws -> (InboxState, Int) {
        let (state, count) = try row.decode((String, Int64).self)
        return (try StoredValues.named(InboxState.self, state, what: "inbox state"), Int(count))
    }
}
