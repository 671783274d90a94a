import Foundation
import SQLiteNIO
import SQLiteStorage
import StoreSupport
import Testing

/// What SQLite does with the inbox's open-message index: the queries that need it use it, and
/// writing a row builds no temporary table for the index's condition.
@Suite("SQLite query plans")
struct SQLiteQueryPlanTests {
    /// The opcodes of `EXPLAIN sql`.
    static func opcodes(_ sql: String, in connection: SQLiteConnection) async throws -> [String] {
        try await connection.query("EXPLAIN " + sql).map { $0.column("opcode")?.string ?? "" }
    }

    /// The details of `EXPLAIN QUERY PLAN sql`.
    static func plan(_ sql: String, in connection: SQLiteConnection) async throws -> String {
        try await connection.query("EXPLAIN QUERY PLAN " + sql).map { $0.column("detail")?.string ?? "" }.joined(separator: "\n")
    }

    @Test("inserting and updating inbox rows evaluates the index condition without temporary tables; the scans use the index")
    func openIndex() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("plans.sqlite")
        await (try await SQLiteStore.open(path: path, logger: quietLogger)).close()
        try await withRawConnection(path) { connection in
            let update = try await Self.opcodes("UPDATE inbox SET state = 'done', updated_at = 1 WHERE id = 1 AND state = 'processing'",
                                                in: connection)
            #expect(update.contains("IdxInsert") || update.contains("IdxDelete"), "the update maintains the index: \(update)")
            #expect(!update.contains("OpenEphemeral"), "\(update)")
            let insert = try await Self.opcodes("""
                INSERT INTO inbox (channel, platform_message_id, account_id, sender_id, event_timestamp_ms, event_json, state,
                                   attempts, received_at, updated_at)
                VALUES ('c', 'm', 'a', 's', 1, '{}', 'received', 0, 1, 1)
                """, in: connection)
            #expect(!insert.contains("OpenEphemeral"), "\(insert)")

            let claimable = try await Self.plan(InboxQueries.claimableHeadIDs(now: "1", open: .comparisons), in: connection)
            #expect(claimable.contains("inbox_open_conversation"), "\(claimable)")
            let head = try await Self.plan("""
                SELECT id FROM inbox
                WHERE channel = 'c' AND account_id = 'a' AND sender_id = 's'
                  AND \(InboxQueries.OpenCondition.comparisons.on("state"))
                ORDER BY event_timestamp_ms, id LIMIT 1
                """, in: connection)
            #expect(head.contains("USING INDEX inbox_open_conversation"), "\(head)")
            #expect(!head.contains("TEMP B-TREE"), "\(head)")
        }
    }
}
