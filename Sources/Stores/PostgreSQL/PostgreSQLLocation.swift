import ChannelKit
import Foundation

/// Where a ``PostgreSQLStore`` connects: a `postgres://user:password@host:port/database` URL,
/// parsed. Its ``description`` never shows the password.
public struct PostgreSQLLocation: Sendable, Hashable, CustomStringConvertible {
    /// How the connection is protected.
    public enum TLSMode: String, Sendable, Hashable {
        /// No TLS (`sslmode=disable`).
        case disable
        /// TLS, with the server's certificate checked against the system's trusted roots and
        /// its host name (`sslmode=require` or `sslmode=verify-full`: stricter than libpq's
        /// `require`, which does not check the certificate).
        case require
    }

    /// The server's host name or address.
    public var host: String
    /// The server's port (5432 when the URL names none).
    public var port: Int
    /// The user to connect as.
    public var user: String
    /// The user's password, if any; never printed.
    public var password: String?
    /// The database.
    public var database: String
    /// TLS or not: `sslmode` when the URL has it, else off for a loopback host (`localhost`,
    /// `127.x.x.x`, `::1`) and required for any other.
    public var tls: TLSMode

    /// Creates a location.
    public init(host: String, port: Int = 5432, user: String, password: String?, database: String, tls: TLSMode? = nil) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls ?? (Self.isLoopback(host) ? .disable : .require)
    }

    /// Parses `postgres://user:password@host:port/database` (or `postgresql://…`), with an
    /// optional `?sslmode=disable|require|verify-full`. User and password may be
    /// percent-encoded.
    /// - Throws: `StoreError(.unavailable, …)` saying what is wrong; the message never
    ///   contains the password.
    public init(url: String) throws {
        func invalid(_ reason: String) -> StoreError {
            StoreError(.unavailable, "invalid PostgreSQL URL (\(reason)); expected postgres://user:password@host:port/database")
        }
        guard let components = URLComponents(string: url) else { throw invalid("it does not parse as a URL") }
        guard let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql" else {
            throw invalid("the scheme must be postgres or postgresql")
        }
        guard var host = components.host, !host.isEmpty else { throw invalid("no host") }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let user = components.user, !user.isEmpty else { throw invalid("no user") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw invalid("no database, or more than one path segment") }
        if let port = components.port, !(1...65_535).contains(port) { throw invalid("port \(port) is out of range") }
        var tls: TLSMode?
        for item in components.queryItems ?? [] {
            switch (item.name, item.value) {
            case ("sslmode", "disable"?): tls = .disable
            case ("sslmode", "require"?), ("sslmode", "verify-full"?): tls = .require
            case ("sslmode", let value): throw invalid("sslmode \(value ?? "with no value") is not one of disable, require, verify-full")
            default: throw invalid("unknown parameter \(item.name)")
            }
        }
        self.init(host: host, port: components.port ?? 5432, user: user,
                  password: components.password, database: database.removingPercentEncoding ?? database, tls: tls)
    }

    /// `postgres://user@host:port/database`, without the password.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(shownHost):\(port)/\(database)"
    }

    /// "host:port, database name": how error messages name the server.
    var named: String { "\(host):\(port), database \(database)" }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
