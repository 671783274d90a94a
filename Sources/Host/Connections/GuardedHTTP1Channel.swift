import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1 child channel with the host's connection limits in front of it: each
/// accepted connection gets a ``ConnectionCapHandler`` and a ``ConnectionDeadlineHandler`` on
/// its raw bytes and a ``RequestProgressHandler`` just behind the HTTP decoder.
///
/// Hummingbird's own idle timeout is not used: it restarts with every body part read, so a
/// body trickled a byte at a time would never end, and it does not see a head that never
/// completes.
///
/// ```swift
/// let limits = ConnectionLimits(configuration.server)
/// Application(router: router,
///             server: GuardedHTTP1Channel.builder(limits: limits, counter: ClientConnectionCounter(cap: limits.maxConnectionsPerClient)))
/// ```
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let inner: HTTP1Channel
    let limits: ConnectionLimits
    let counter: ClientConnectionCounter

    /// The server builder for ``Hummingbird/Application``.
    /// - Parameters:
    ///   - limits: the connection limits.
    ///   - counter: the per-address connection counts (one per server).
    static func builder(limits: ConnectionLimits, counter: ClientConnectionCounter) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            GuardedHTTP1Channel(inner: HTTP1Channel(responder: responder), limits: limits, counter: counter)
        }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { [limits, counter] value in
            let pipeline = channel.pipeline.syncOperations
            let deadlines = ConnectionDeadlineHandler(limits: limits, logger: logger)
            try pipeline.addHandler(deadlines, position: .first)
            try pipeline.addHandler(ConnectionCapHandler(counter: counter, logger: logger), position: .first)
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(RequestProgressHandler(reportingTo: deadlines), position: .after(decoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}
