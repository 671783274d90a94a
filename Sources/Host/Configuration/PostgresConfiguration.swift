import Foundation

/// `storage.postgres:` of `channels.yaml`: the PostgreSQL server several hosts share. Set
/// `url` (`SANDRA_DATABASE_URL` in the shipped files) and the host keeps everything there
/// instead of in the SQLite file of `storage.path`.
///
/// | Key | Default | Meaning |
/// |-----|---------|---------|
/// | `url` | `""` | `postgres://user:password@host:port/database` (or `postgresql://`); `?sslmode=disable|prefer|require`. Empty: the SQLite file. |
/// | `pool_size` | `10` | `>= 1`; connections each host keeps open at most. |
/// | `connect_timeout_seconds` | `5` | `>= 1`; how long opening a connection may take before the host reports the server unreachable, and how long a request waits for a free connection before it fails (webhooks then answer 503). |
struct PostgresConfiguration: Sendable, Hashable {
    /// The keys of the section.
    static let keys = ["url", "pool_size", "connect_timeout_seconds"]
    /// The URL schemes `url` accepts.
    static let schemes: Set<String> = ["postgres", "postgresql"]

    /// The server's URL (`url`); empty when the host uses SQLite.
    var url: String = ""
    /// Connections kept open at most (`pool_size`).
    var poolSize: Int = 10
    /// Seconds to open a connection, or to wait for a free one (`connect_timeout_seconds`).
    var connectTimeoutSeconds: Int = 5

    /// Whether PostgreSQL is chosen.
    var isEnabled: Bool { !url.isEmpty }

    /// Checks a `url` value: a `postgres://` or `postgresql://` URL with a host and a database.
    /// The message never repeats the URL, which may hold a password.
    static func validate(_ text: String) -> Result<String, MappingReader.ValueProblem> {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              schemes.contains(scheme) else {
            return .failure(MappingReader.ValueProblem(message: "expected postgres://user:password@host:port/database"))
        }
        guard let host = components.host, !host.isEmpty else {
            return .failure(MappingReader.ValueProblem(message: "names no server: expected postgres://user:password@host:port/database"))
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !database.isEmpty, !database.contains("/") else {
            return .failure(MappingReader.ValueProblem(message: "names no database: expected postgres://user:password@\(host)/database"))
        }
        guard components.user.map({ !$0.isEmpty }) ?? false else {
            return .failure(MappingReader.ValueProblem(message: "names no user: expected postgres://user:password@\(host)/\(database)"))
        }
        return .success(text)
    }
}
