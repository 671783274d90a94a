import ChannelKit
import Foundation
import PostgresNIO
import StoreSupport

// MARK: - Parts by the platform's message id (delivery statuses), by `outbox_platform_message_id`.

extension PostgreSQLStore {
    public func part(withPlatformMessageID platformMessageID: String) async throws -> OutboxPart? {
        try await session("reading the outbox part the platform took as a message") { session in
            try await session.firstRow("""
                SELECT \(unescaped: Rows.outboxColumns) FROM outbox WHERE platform_message_id = \(platformMessageID)
                ORDER BY inbox_id LIMIT 1
                """, Rows.outboxPart)
        }
    }
}
