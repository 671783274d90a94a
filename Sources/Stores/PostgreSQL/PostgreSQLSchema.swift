import ChannelKit
import Foundation
import Logging
import PostgresNIO
import StoreSupport

/// The database schema as numbered migration steps, in one place.
///
/// Step *n* (1-based) brings a database from version *n − 1* to version *n*; the
/// `schema_migrations` table records each applied step. ``migrate(_:logger:)`` applies the
/// missing steps in one transaction that first takes a transaction-scoped advisory lock, so
/// hosts starting together against an empty database do not race: one migrates, the others
/// wait for its commit and find nothing left to do. Never edit a released step: append one.
///
/// The tables mirror SQLite's (``StoredJSON`` text for events and parts, `BIGINT`
/// milliseconds for times) and so do the indexes.
enum PostgreSQLSchema {
    /// The key of the advisory lock migrations take: "sandra-migrations" in ASCII, cut to 8 bytes.
    static let migrationLock: Int64 = 0x73616E6472612D6D

    /// The migration steps, in order; the database version is the number of steps applied.
    static let migrations: [[String]] = [
        // 1: everything SQLite's seven steps built: inbox, outbox, conversation turns, identity
        // linking, saved settings, person aliases, erasures.
        [
            """
            CREATE TABLE inbox (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                channel TEXT NOT NULL,
                platform_message_id TEXT NOT NULL,
                account_id TEXT NOT NULL,
                sender_id TEXT NOT NULL,
                event_timestamp_ms BIGINT NOT NULL,
                event_json TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts BIGINT NOT NULL DEFAULT 0,
                next_attempt_at BIGINT,
                lease_expires_at BIGINT,
                last_error TEXT,
                received_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                unfinished_claims BIGINT NOT NULL DEFAULT 0,
                content_removed_at BIGINT,
                UNIQUE (channel, platform_message_id)
            )
            """,
            "CREATE INDEX inbox_state_next_attempt ON inbox (state, next_attempt_at)",
            "CREATE INDEX inbox_sender ON inbox (channel, sender_id)",
            """
            CREATE TABLE outbox (
                id TEXT PRIMARY KEY,
                inbox_id BIGINT NOT NULL REFERENCES inbox (id) ON DELETE CASCADE,
                part_index BIGINT NOT NULL,
                message_json TEXT NOT NULL,
                state TEXT NOT NULL,
                platform_message_id TEXT,
                last_error TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                UNIQUE (inbox_id, part_index)
            )
            """,
            """
            CREATE TABLE conversation_turns (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                channel TEXT NOT NULL,
                account_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                role TEXT NOT NULL,
                text TEXT NOT NULL,
                timestamp_ms BIGINT NOT NULL
            )
            """,
            "CREATE INDEX conversation_turns_conversation ON conversation_turns (channel, account_id, user_id, id)",
            "CREATE INDEX conversation_turns_person ON conversation_turns (channel, user_id, timestamp_ms)",
            "CREATE INDEX conversation_turns_time ON conversation_turns (timestamp_ms)",
            """
            CREATE TABLE identity_profiles (
                id TEXT PRIMARY KEY,
                email TEXT NOT NULL UNIQUE,
                display_name TEXT,
                preferences_json TEXT NOT NULL DEFAULT '{}',
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE identity_links (
                channel TEXT NOT NULL,
                user_id TEXT NOT NULL,
                profile_id TEXT NOT NULL REFERENCES identity_profiles (id),
                linked_at BIGINT NOT NULL,
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
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                failed_attempts BIGINT NOT NULL DEFAULT 0,
                mail_state TEXT NOT NULL,
                mail_attempts BIGINT NOT NULL DEFAULT 0,
                mail_next_attempt_at BIGINT,
                mail_last_error TEXT,
                PRIMARY KEY (channel, user_id)
            )
            """,
            "CREATE INDEX identity_pending_codes_mail ON identity_pending_codes (mail_state, mail_next_attempt_at)",
            """
            CREATE TABLE identity_audit (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                at BIGINT NOT NULL,
                action TEXT NOT NULL,
                channel TEXT NOT NULL,
                user_id TEXT NOT NULL,
                profile_id TEXT,
                email_digest TEXT
            )
            """,
            "CREATE INDEX identity_audit_identity ON identity_audit (channel, user_id, action, at)",
            "CREATE INDEX identity_audit_email ON identity_audit (email_digest, action, at)",
            """
            CREATE TABLE channel_setting_overrides (
                channel TEXT NOT NULL,
                key TEXT NOT NULL,
                value TEXT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (channel, key)
            )
            """,
            """
            CREATE TABLE person_aliases (
                channel TEXT NOT NULL,
                alias_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (channel, alias_id)
            )
            """,
            "CREATE INDEX person_aliases_person ON person_aliases (channel, user_id)",
            """
            CREATE TABLE erasures (
                confirmation_code TEXT PRIMARY KEY,
                source TEXT NOT NULL,
                channels_json TEXT NOT NULL,
                erased_at BIGINT NOT NULL,
                inbox_items BIGINT NOT NULL,
                outbox_parts BIGINT NOT NULL,
                turns BIGINT NOT NULL,
                identity_records BIGINT NOT NULL
            )
            """,
        ],
        // 2: state every host of the store shares (admin sessions, login lockouts, address
        // prompts, channel pauses); leases a host can prove (the claim epoch) and release at its
        // next start (the owner); the open messages by conversation, for the head claim.
        [
            """
            CREATE TABLE shared_state (
                scope TEXT NOT NULL,
                key TEXT NOT NULL,
                value TEXT NOT NULL,
                expires_at BIGINT,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (scope, key)
            )
            """,
            "CREATE INDEX shared_state_expiry ON shared_state (expires_at) WHERE expires_at IS NOT NULL",
            "ALTER TABLE inbox ADD COLUMN claim_epoch BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE inbox ADD COLUMN lease_owner TEXT",
            """
            CREATE INDEX inbox_open_conversation ON inbox (channel, account_id, sender_id, event_timestamp_ms, id)
            WHERE state IN ('received', 'failed', 'processing')
            """,
        ],
        // 3: the trace a message was accepted in (W3C Trace Context), so that the host that
        // claims it continues that trace; NULL when tracing is off.
        [
            "ALTER TABLE inbox ADD COLUMN trace_context TEXT",
        ],
        // 4: outbox parts by the platform's message id, for delivery statuses that report a
        // sent part refused (WhatsApp's 131047 outside the reply window), and for echoes: this
        // host's own send is told from a person of the business's reply (human takeover).
        [
            "CREATE INDEX outbox_platform_message_id ON outbox (platform_message_id) WHERE platform_message_id IS NOT NULL",
        ],
    ]

    /// The version this build writes and expects.
    static var currentVersion: Int { migrations.count }

    /// Brings the database up to ``currentVersion`` in one transaction under the migration
    /// lock; a database from a newer version is refused with `StoreError(.corrupt, …)`.
    /// - Returns: the versions applied (none when the database was up to date).
    @discardableResult
    static func migrate(_ session: Session, logger: Logger) async throws -> [Int] {
        try await session.transaction { session in
            try await session.run("SELECT pg_advisory_xact_lock(\(migrationLock))")
            try await session.run("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY,
                    applied_at BIGINT NOT NULL
                )
                """)
            let applied = Int(try await session.firstRow("SELECT COALESCE(MAX(version), 0) FROM schema_migrations") {
                try $0.decode(Int64.self)
            } ?? 0)
            guard applied <= currentVersion else {
                throw StoreError(.corrupt, """
                    the database was written by a newer version: schema \(applied), this build knows \(currentVersion)
                    """)
            }
            var done: [Int] = []
            for version in stride(from: applied + 1, through: currentVersion, by: 1) {
                for statement in migrations[version - 1] {
                    try await session.run(PostgresQuery(unsafeSQL: statement))
                }
                let now = StoredValues.milliseconds(Date())
                try await session.run("INSERT INTO schema_migrations (version, applied_at) VALUES (\(Int64(version)), \(now))")
                logger.info("applied a schema migration", metadata: ["version": "\(version)"])
                done.append(version)
            }
            return done
        }
    }
}
