import ChannelKit
import ChannelKitTesting
import Foundation
import SQLiteNIO
import Testing
@testable import SQLiteStorage

@Suite("SQLiteStore migrations")
struct SQLiteMigrationTests {
    @Test("a version-1 database with conversations is brought to the current version and keeps its data")
    func fromVersionOne() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("v1.sqlite")
        // A database as the first release wrote it: migration 1 only, with an answered message.
        try await withRawConnection(path) { connection in
            _ = try await connection.query("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY NOT NULL, applied_at INTEGER NOT NULL)")
            for statement in Schema.migrations[0] { _ = try await connection.query(statement) }
            _ = try await connection.query("INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0)")
            _ = try await connection.query("""
                INSERT INTO conversation_turns (channel, account_id, user_id, role, text, timestamp_ms)
                VALUES ('instagram', 'acct', 'ig-alice', 'user', 'hello from before', 1760000000000)
                """)
        }

        let store = try await SQLiteStore.open(path: path, logger: quietLogger)
        let conversation = ConversationKey(channel: "instagram", accountID: "acct", userID: "ig-alice")
        #expect(try await store.history(of: conversation, limit: 10).map(\.text) == ["hello from before"])
        let alice = ChannelIdentity(channel: "instagram", userID: "ig-alice")
        let profile = try await store.link(alice, toVerifiedEmail: "alice@example.com", at: now)
        #expect(try await store.profile(for: alice) == profile, "the identity tables exist and work")
        #expect(try await store.sharedHistory(of: [alice], limit: 10).map(\.text) == ["hello from before"])
        await store.close()

        let versions = try await withRawConnection(path) { connection in
            try await connection.query("SELECT version FROM schema_migrations ORDER BY version").map { $0.column("version")?.integer ?? -1 }
        }
        #expect(versions == Array(1...SQLiteStore.schemaVersion))
        let indexes = try await withRawConnection(path) { connection in
            try await connection.query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'inbox' ORDER BY name")
                .map { $0.column("name")?.string ?? "" }
        }
        #expect(!indexes.contains("inbox_conversation_order"), "version 4 drops the index no query reads")
        #expect(indexes.contains("inbox_state_next_attempt"))
    }
}
