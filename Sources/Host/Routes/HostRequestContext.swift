import Hummingbird
import NIOCore

/// The request context of every host route: Hummingbird's core context and the client's
/// address (the admin portal counts failed logins per address).
struct HostRequestContext: RequestContext, RemoteAddressRequestContext {
    /// The core context.
    var coreContext: CoreRequestContextStorage
    /// The client's address, as the connection sees it (a proxy's, behind one).
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address as text, or `unknown`.
    var clientAddress: String {
        remoteAddress?.ipAddress ?? "unknown"
    }
}
