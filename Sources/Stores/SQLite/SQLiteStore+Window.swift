import ChannelKit
import Foundation
import StoreSupport

// MARK: - Parts by the platform's message id (delivery statuses), by `outbox_platform_message_id`.

extension SQLiteStore {
    public func part(withPlatformMessageID platformMessageID: String) async throws -> OutboxPart? {
        try read("reading the outbox part the platform took as a message") { database in
            try database.firstRow("""
                SELECT \(Row.outboxColumns) FROM outbox WHERE platform_message_id = ? ORDER BY inbox_id LIMIT 1
                """, [Row.bind(platformMessageID)], Row.outboxPart)
        }
    }
}
