import Foundation

/// The `server:` section of `channels.yaml`: where the host listens.
///
/// | Key | Default | Meaning |
/// |-----|---------|---------|
/// | `host` | `127.0.0.1` | The address to bind. |
/// | `port` | `8080` | `0...65535`; `0` picks any free port (tests use it). |
/// | `shutdown_timeout_seconds` | `10` | `>= 0`; how long in-flight replies may run after SIGTERM. |
/// | `benchmark_routes` | `false` | Mounts `POST /bench/ack` (collects the body, answers 200 `ok`) for `make bench`. |
/// | `allowed_hosts` | none | `Host` names answered besides `localhost`, IP addresses, `admin.public_base_url`'s and `host` (see ``HostAllowlist``); `*`: any. |
/// | `header_timeout_seconds` | `10` | `>= 1`; a request's head must arrive within this long of its first byte (or of the connection opening). |
/// | `idle_timeout_seconds` | `60` | `>= 1`; how long a connection may wait for its next request, and a request's body may take after its head. |
/// | `max_connections_per_client` | `64` | `>= 0`; open connections one client address may hold; `0` means no cap. |
/// | `public_sandbox` | `false` | Allows sandbox channels while `host` is not a loopback address; without it such a host refuses to start. |
/// | `degraded_after_seconds` | `300` | `>= 1`; a channel (or the mailer) whose sends have all failed this long is `degraded` in `/readyz`. |
struct ServerConfiguration: Sendable, Hashable {
    /// The default `host`.
    static let defaultHost = "127.0.0.1"
    /// The default `port`.
    static let defaultPort = 8080
    /// The default `shutdown_timeout_seconds`.
    static let defaultShutdownTimeoutSeconds = 10
    /// The default `header_timeout_seconds`.
    static let defaultHeaderTimeoutSeconds = 10
    /// The default `idle_timeout_seconds`.
    static let defaultIdleTimeoutSeconds = 60
    /// The default `max_connections_per_client`.
    static let defaultMaxConnectionsPerClient = 64
    /// The default `degraded_after_seconds`.
    static let defaultDegradedAfterSeconds = 300
    /// The keys of the section.
    static let keys = ["host", "port", "shutdown_timeout_seconds", "benchmark_routes", "allowed_hosts",
                       "header_timeout_seconds", "idle_timeout_seconds", "max_connections_per_client",
                       "public_sandbox", "degraded_after_seconds"]

    /// The address to bind (`host`).
    var host: String

    /// Whether ``host`` binds loopback only (`127.0.0.0/8`, `::1`, `localhost`).
    var isLoopback: Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }
    /// The port to bind (`port`); `0` means any free port.
    var port: Int
    /// The deadline for in-flight replies on SIGTERM (`shutdown_timeout_seconds`).
    var shutdownTimeoutSeconds: Int
    /// Whether `POST /bench/ack` is mounted (`benchmark_routes`): the bare 200 route
    /// `make bench` compares the webhook route with.
    var benchmarkRoutes: Bool
    /// Further `Host` names answered (`allowed_hosts`), lowercased; `*` answers any.
    var allowedHosts: [String]
    /// How long a request's head may take to arrive (`header_timeout_seconds`).
    var headerTimeoutSeconds: Int
    /// How long a connection may wait for its next request, and a request's body may take
    /// after its head (`idle_timeout_seconds`).
    var idleTimeoutSeconds: Int
    /// The open connections one client address may hold (`max_connections_per_client`); `0`
    /// means no cap.
    var maxConnectionsPerClient: Int
    /// Whether sandbox channels may be served on a non-loopback address (`public_sandbox`).
    var publicSandbox: Bool
    /// How long only failed sends make a channel or the mailer `degraded` (`degraded_after_seconds`).
    var degradedAfterSeconds: Int

    /// Creates the section; every value defaults to the documented default.
    /// - Parameters:
    ///   - host: the address to bind.
    ///   - port: the port to bind, `0` for any free port.
    ///   - shutdownTimeoutSeconds: the deadline for in-flight replies on SIGTERM.
    ///   - benchmarkRoutes: whether `POST /bench/ack` is mounted.
    ///   - allowedHosts: further `Host` names answered.
    ///   - headerTimeoutSeconds: how long a request's head may take to arrive.
    ///   - idleTimeoutSeconds: how long a connection may wait for a request, or a body take.
    ///   - maxConnectionsPerClient: the open connections one client address may hold; `0` for no cap.
    ///   - publicSandbox: whether sandbox channels may be served on a non-loopback address.
    ///   - degradedAfterSeconds: how long only failed sends make a channel `degraded`.
    init(
        host: String = defaultHost,
        port: Int = defaultPort,
        shutdownTimeoutSeconds: Int = defaultShutdownTimeoutSeconds,
        benchmarkRoutes: Bool = false,
        allowedHosts: [String] = [],
        headerTimeoutSeconds: Int = defaultHeaderTimeoutSeconds,
        idleTimeoutSeconds: Int = defaultIdleTimeoutSeconds,
        maxConnectionsPerClient: Int = defaultMaxConnectionsPerClient,
        publicSandbox: Bool = false,
        degradedAfterSeconds: Int = defaultDegradedAfterSeconds
    ) {
        self.host = host
        self.port = port
        self.shutdownTimeoutSeconds = shutdownTimeoutSeconds
        self.benchmarkRoutes = benchmarkRoutes
        self.allowedHosts = allowedHosts
        self.headerTimeoutSeconds = headerTimeoutSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.maxConnectionsPerClient = maxConnectionsPerClient
        self.publicSandbox = publicSandbox
        self.degradedAfterSeconds = degradedAfterSeconds
    }
}
