import ChannelKit
import Foundation
import Logging

/// The database schema as numbered migration steps.
///
/// Step *n* (1-based) brings a database from version *n − 1* to version *n*. Each step runs
/// in its own transaction together with the `schema_migrations` row that records it, so a
/// crash leaves the database at a whole version. Never edit a released step: append a new one.
enum Schema {
    /// The migration steps, in order; the database version is the number of steps applied.
    static let migrations: [[String]] = [
        // 1: inbox, outbox, conversation turns.
        [
            """
            CREATE TABLE inbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                channel TEXT NOT NULL,
                platform_message_id TEXT NOT NULL,
                account_id TEXT NOT NULL,
                sender_id TEXT NOT NULL,
                event_timestamp_ms INTEGER NOT NULL,
                event_json TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER,
                lease_expires_at INTEGER,
                last_error TEXT,
                received_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                UNIQUE (channel, platform_message_id)
            )
            """,
            "CREATE INDEX inbox_state_next_attempt ON inbox (state, next_attempt_at)",
            "CREATE INDEX inbox_conversation_order ON inbox (channel, account_id, sender_id, event_timestamp_ms)",
            """
            CREATE TABLE outbox (
                id TEXT PRIMARY KEY NOT NULL,
                inbox_id INTEGER NOT NULL REFERENCES inbox (id) ON DELETE CASCADE,
                part_index INTEGER NOT NULL,
                message_json TEXT NOT NULL,
                state TEXT NOT NULL,
                platform_message_id TEXT,
                last_error TEXT,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                UNIQUE (inbox_id, part_index)
            )
            """,
            """
            CREATE TABLE conversation_turns (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                channel TEXT NOT NULL,
                account_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                role TEXT NOT NULL,
                text TEXT NOT NULL,
                timestamp_ms INTEGER NOT NULL
            )
            """,
            "CREATE INDEX conversation_turns_conversation ON conversation_turns (channel, account_id, user_id, id)",
        ],
        // 2: identity linking — profiles, links, pending codes, audit log; shared history by person.
        [
            """
            CREATE TABLE identity_profiles (
                id TEXT PRIMARY KEY NOT NULL,
                email TEXT NOT NULL UNIQUE,
                display_name TEXT,
                preferences_json TEXT NOT NULL DEFAULT '{}',
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            )
            """,
            """
            CREATE TABLE identity_links (
                channel TEXT NOT NULL,
                user_id TEXT NOT NULL,
                profile_id TEXT NOT NULL REFERENCES identity_profiles (id),
                linked_at INTEGER NOT NULL,
                PRIMARY KEY (channel, user_id)
            )
            """,
            "CREATE INDEX identity_links_profile ON identity_links (profile_id)",
            """
            CREATE TABLE identity_pending_codes (
                channel TEXT NOT NULL,
                user_id TEXT NOT NULL,
                code_id TEXT NOT NULL UNIQUE,
                email TEXT NOT NULL,
                email_digest TEXT NOT NULL,
                code_salt TEXT NOT NULL,
                code_hash TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                failed_attempts INTEGER NOT NULL DEFAULT 0,
                mail_state TEXT NOT NULL,
                mail_attempts INTEGER NOT NULL DEFAULT 0,
                mail_next_attempt_at INTEGER,
                mail_last_error TEXT,
                PRIMARY KEY (channel, user_id)
            )
            """,
            "CREATE INDEX identity_pending_codes_mail ON identity_pending_codes (mail_state, mail_next_attempt_at)",
            """
            CREATE TABLE identity_audit (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                at INTEGER NOT NULL,
                action TEXT NOT NULL,
                channel TEXT NOT NULL,
                user_id TEXT NOT NULL,
                profile_id TEXT,
                email_digest TEXT
            )
            """,
            "CREATE INDEX identity_audit_identity ON identity_audit (channel, user_id, action, at)",
            "CREATE INDEX identity_audit_email ON identity_audit (email_digest, action, at)",
            "CREATE INDEX conversation_turns_person ON conversation_turns (channel, user_id, timestamp_ms)",
        ],
        // 3: settings saved by operators (admin portal); secrets arrive encrypted by the host.
        [
            """
            CREATE TABLE channel_setting_overrides (
                channel TEXT NOT NULL,
                key TEXT NOT NULL,
                value TEXT NOT NULL,
                updated_at INTEGER NOT NULL,
                PRIMARY KEY (channel, key)
            )
            """,
        ],
        // 4: no query reads the inbox in conversation order through an index (the pending scan
        // sorts what it finds), and the index cost every accepted webhook a write to a page
        // chosen by its sender: one more page in nearly every commit.
        [
            "DROP INDEX inbox_conversation_order",
        ],
        // 5: claims that ended in no outcome (the host stopped in the middle), to give up on a
        // message that stops the host instead of crashing on it again and again.
        [
            "ALTER TABLE inbox ADD COLUMN unfinished_claims INTEGER NOT NULL DEFAULT 0",
        ],
        // 6: the ids a person is known by on a channel (a WhatsApp business-scoped user id and a
        // phone number; the new id after a change), each with the id their conversation is keyed on.
        [
            """
            CREATE TABLE person_aliases (
                channel TEXT NOT NULL,
                alias_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (channel, alias_id)
            ) WITHOUT ROWID
            """,
        ],
        // 7: privacy — erasures on request (their confirmation codes answer the status page),
        // and the mark of items whose content the retention sweep (or an erasure) removed, so
        // that the hourly sweep reads each item once.
        [
            """
            CREATE TABLE erasures (
                confirmation_code TEXT PRIMARY KEY NOT NULL,
                source TEXT NOT NULL,
                channels_json TEXT NOT NULL,
                erased_at INTEGER NOT NULL,
                inbox_items INTEGER NOT NULL,
                outbox_parts INTEGER NOT NULL,
                turns INTEGER NOT NULL,
                identity_records INTEGER NOT NULL
            )
            """,
            "ALTER TABLE inbox ADD COLUMN content_removed_at INTEGER",
        ],
        // 8: state every host of the store must see alike (admin sessions, login lockouts,
        // address prompts, channel pauses): text values by scope and key, with an expiry.
        [
            """
            CREATE TABLE shared_state (
                scope TEXT NOT NULL,
                key TEXT NOT NULL,
                value TEXT NOT NULL,
                expires_at INTEGER,
                updated_at INTEGER NOT NULL,
                PRIMARY KEY (scope, key)
            ) WITHOUT ROWID
            """,
            "CREATE INDEX shared_state_expiry ON shared_state (expires_at) WHERE expires_at IS NOT NULL",
        ],
        // 9: leases a host can prove (the claim epoch fences a worker whose lease was taken
        // over) and release at its next start (the owner); the messages that still need work,
        // by conversation, for the claim that keeps a conversation in order across hosts.
        [
            "ALTER TABLE inbox ADD COLUMN claim_epoch INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE inbox ADD COLUMN lease_owner TEXT",
            """
            CREATE INDEX inbox_open_conversation ON inbox (channel, account_id, sender_id, event_timestamp_ms, id)
            WHERE state IN ('received', 'failed', 'processing')
            """,
        ],
        // 10: the same index, its condition written without IN: SQLite builds a temporary
        // table for an IN over three constants each time it evaluates one, and it evaluates
        // the index's condition for every row an INSERT or UPDATE of the inbox touches (twice
        // for an UPDATE) — about a fifth of the writer's work per answered message. Queries
        // that use the index repeat the condition word for word.
        [
            "DROP INDEX inbox_open_conversation",
            """
            CREATE INDEX inbox_open_conversation ON inbox (channel, account_id, sender_id, event_timestamp_ms, id)
            WHERE (state = 'received' OR state = 'failed' OR state = 'processing')
            """,
        ],
        // 11: the trace a message was accepted in (W3C Trace Context), so that the host that
        // claims it continues that trace; NULL when tracing is off.
        [
            "ALTER TABLE inbox ADD COLUMN trace_context TEXT",
        ],
        // 12: outbox parts by the platform's message id, for delivery statuses that report a
        // sent part refused (WhatsApp's 131047 outside the reply window), and for echoes: this
        // host's own send is told from a person of the business's reply (human takeover).
        [
            "CREATE INDEX outbox_platform_message_id ON outbox (platform_message_id) WHERE platform_message_id IS NOT NULL",
        ],
    ]

    /// The version this build writes and expects.
    static var currentVersion: Int { migrations.count }

    /// Brings the database up to ``currentVersion``; a database from a newer version is refused.
    static func migrate(_ database: Database, logger: Logger) throws {
        try database.run("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY NOT NULL,
                applied_at INTEGER NOT NULL
            )
            """)
        let applied = Int(try database.firstRow("SELECT COALESCE(MAX(version), 0) FROM schema_migrations") { try $0.integer(0) } ?? 0)
        guard applied <= currentVersion else {
            throw StoreError(.corrupt, "the database has schema version \(applied); this build knows versions up to \(currentVersion)")
        }
        for version in stride(from: applied + 1, through: currentVersion, by: 1) {
            try database.run("BEGIN IMMEDIATE")
            do {
                for statement in migrations[version - 1] {
                    try database.run(statement)
                }
                try database.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                                 [.integer(Int64(version)), .integer(Row.milliseconds(Date()))])
                try database.run("COMMIT")
            } catch {
                if database.isInTransaction { try? database.run("ROLLBACK") }
                throw error
            }
            logger.info("applied a schema migration", metadata: ["version": "\(version)"])
        }
    }
}
