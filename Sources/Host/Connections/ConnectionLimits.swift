import NIOCore

/// What the HTTP server allows one connection, from the `server:` section: how long a request's
/// head may take, how long a connection may sit waiting (or a body trickle in), and how many
/// connections one client address may hold open.
///
/// Without them a client sending its headers one byte a second, or nothing at all, holds a
/// connection (and a file descriptor) forever; a few thousand such clients exhaust the
/// process's descriptors and real webhooks can no longer connect.
struct ConnectionLimits: Sendable, Hashable {
    /// A request's head must be complete within this long of its first byte, or of the
    /// connection opening for a connection's first request.
    var headerTimeout: TimeAmount
    /// How long a connection may wait for the first byte of its next request after a
    /// response, and how long a request's body may take to arrive after its head.
    var idleTimeout: TimeAmount
    /// The open connections one client address may hold; `0` means no cap.
    var maxConnectionsPerClient: Int

    /// Creates limits.
    /// - Parameters:
    ///   - headerTimeout: the deadline for a request's head.
    ///   - idleTimeout: the deadline for an idle connection's next request and for a body.
    ///   - maxConnectionsPerClient: the cap per client address; `0` for none.
    init(headerTimeout: TimeAmount, idleTimeout: TimeAmount, maxConnectionsPerClient: Int) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.maxConnectionsPerClient = maxConnectionsPerClient
    }

    /// The limits `server:` configures.
    /// - Parameter server: the loaded section.
    init(_ server: ServerConfiguration) {
        self.init(headerTimeout: .seconds(Int64(server.headerTimeoutSeconds)),
                  idleTimeout: .seconds(Int64(server.idleTimeoutSeconds)),
                  maxConnectionsPerClient: server.maxConnectionsPerClient)
    }
}
