/// The `storage:` section of `channels.yaml`: where the host keeps its data.
///
/// | Key | Default | Meaning |
/// |-----|---------|---------|
/// | `path` | `./data/sandra.sqlite` | The SQLite database file. |
struct StorageConfiguration: Sendable, Hashable {
    /// The default `path`.
    static let defaultPath = "./data/sandra.sqlite"
    /// The keys of the section.
    static let keys = ["path"]

    /// The SQLite database file (`path`).
    var path: String

    /// Creates the section.
    /// - Parameter path: the SQLite database file.
    init(path: String = defaultPath) {
        self.path = path
    }
}
