/// The `storage:` section of `channels.yaml`: where the host keeps its data.
///
/// | Key | Default | Meaning |
/// |-----|---------|---------|
/// | `path` | `./data/sandra.sqlite` | The SQLite database file (WAL mode; created with its folder). |
/// | `max_size_mb` | `0` | `>= 0`; a cap on the database file in MiB; `0` means no cap. At the cap, webhooks answer 503. |
struct StorageConfiguration: Sendable, Hashable {
    /// The default `path`.
    static let defaultPath = "./data/sandra.sqlite"
    /// The keys of the section.
    static let keys = ["path", "max_size_mb"]

    /// The SQLite database file (`path`).
    var path: String
    /// A cap on the database size in MiB (`max_size_mb`); 0 means none.
    var maxSizeMB: Int

    /// Creates the section.
    /// - Parameters:
    ///   - path: the SQLite database file.
    ///   - maxSizeMB: a cap on the database size in MiB; 0 means none.
    init(path: String = defaultPath, maxSizeMB: Int = 0) {
        self.path = path
        self.maxSizeMB = maxSizeMB
    }
}
