import ChannelKit
import Foundation
import StoreSupport

// MARK: - Replacing a reply part the platform refused.

extension SQLiteStore {
    public func replaceRefusedPart(_ partID: String, with messages: [OutboundMessage], reason: String, abandoningRest: Bool,
                                   at now: Date) async throws -> [OutboxPart] {
        let encoded = messages.map { StoredJSON.encode($0) }
        return try await write("replace outbox part \(partID)") { database in
            // Checked before anything changes, so a refusal leaves the transaction as it was.
            guard let found = try database.firstRow("SELECT inbox_id, part_index, state FROM outbox WHERE id = ?1",
                                                    [Row.bind(partID)], { (inboxID: try $0.integer(0), index: try $0.integer(1), state: try $0.text(2)) })
            else {
                throw StoreError(.invalidTransition, "cannot replace outbox part \(partID): no such part")
            }
            guard found.state == OutboxState.pending.rawValue else {
                throw StoreError(.invalidTransition, "cannot replace outbox part \(partID): it is \(found.state), not pending")
            }
            try database.run("""
                UPDATE outbox SET state = 'failed', last_error = ?1, updated_at = ?2 WHERE id = ?3
                """, [Row.bind(reason), Row.bind(now), Row.bind(partID)])
            // The later parts move along by the number of new ones. Through negative indexes and
            // marked ids first, so that no step meets the (inbox_id, part_index) or id of another.
            let inbox = Row.bind(found.inboxID)
            let index = Row.bind(found.index)
            try database.run("""
                UPDATE outbox SET part_index = -1 - part_index, id = '~' || id WHERE inbox_id = ?1 AND part_index > ?2
                """, [inbox, index])
            try database.run("""
                UPDATE outbox SET part_index = -1 - part_index + ?2, id = inbox_id || '.' || (-1 - part_index + ?2),
                                  state = CASE WHEN ?3 = 1 AND state = 'pending' THEN 'failed' ELSE state END,
                                  last_error = CASE WHEN ?3 = 1 AND state = 'pending' THEN ?4 ELSE last_error END,
                                  updated_at = ?5
                WHERE inbox_id = ?1 AND part_index < 0
                """, [inbox, Row.bind(encoded.count), Row.bind(abandoningRest ? 1 : 0), Row.bind(OutboxPart.abandonedReason),
                      Row.bind(now)])
            for (offset, json) in encoded.enumerated() {
                let newIndex = Int(found.index) + 1 + offset
                try database.run("""
                    INSERT INTO outbox (id, inbox_id, part_index, message_json, state, created_at, updated_at)
                    VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5)
                    """, [Row.bind("\(found.inboxID).\(newIndex)"), inbox, Row.bind(newIndex), Row.bind(json), Row.bind(now)])
            }
            return try database.rows(
                "SELECT \(Row.outboxColumns) FROM outbox WHERE inbox_id = ? ORDER BY part_index", [inbox], Row.outboxPart)
        }
    }
}
