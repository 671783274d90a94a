/// The `storage:` section of `channels.yaml`: where the host keeps its data.
///
/// | Key | Default | Meaning |
/// |-----|---------|---------|
/// | `path` | `./data/sandra.sqlite` | The SQLite database file (WAL mode; created with its folder). One host at a time: a second host on the same file is refused. |
/// | `max_size_mb` | `0` | `>= 0`; a cap on the database file in MiB; `0` means no cap. At the cap, webhooks answer 503. |
/// | `postgres` | — | PostgreSQL instead of the SQLite file, for several hosts: see ``PostgresConfiguration``. |
/// | `retention_days` | `30` | `>= 1`; answered messages and replies lose their text after this many days, conversation history older than this is deleted, and deduplication keys are deleted after `max(retention_days, 7)` days. There is no "keep forever": set a large number to keep longer. |
struct StorageConfiguration: Sendable, Hashable {
    /// The default `path`.
    static let defaultPath = "./data/sandra.sqlite"
    /// The keys of the section.
    static let keys = ["path", "max_size_mb", "retention_days", "postgres"]

    /// The SQLite database file (`path`).
    var path: String
    /// A cap on the database size in MiB (`max_size_mb`); 0 means none.
    var maxSizeMB: Int
    /// Days message text and history are kept (`retention_days`), at least 1.
    var retentionDays: Int
    /// The PostgreSQL server (`postgres:`); when its `url` is set, `path` and `max_size_mb` are unused.
    var postgres: PostgresConfiguration

    /// The default `retention_days`.
    static let defaultRetentionDays = 30
    /// Deduplication keys are kept at least this many days, so that Meta's redeliveries are still caught.
    static let minimumKeyDays = 7

    /// Days deduplication keys are kept: `max(retention_days, 7)`.
    var keyRetentionDays: Int { max(retentionDays, Self.minimumKeyDays) }

    /// Creates the section.
    /// - Parameters:
    ///   - path: the SQLite database file.
    ///   - maxSizeMB: a cap on the database size in MiB; 0 means none.
    ///   - retentionDays: days message text and history are kept.
    ///   - postgres: the PostgreSQL server; off by default.
    init(path: String = defaultPath, maxSizeMB: Int = 0, retentionDays: Int = defaultRetentionDays,
         postgres: PostgresConfiguration = PostgresConfiguration()) {
        self.path = path
        self.maxSizeMB = maxSizeMB
        self.retentionDays = retentionDays
        self.postgres = postgres
    }
}
