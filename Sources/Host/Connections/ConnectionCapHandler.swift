import Logging
import NIOCore

/// The first handler of every accepted connection: counts it against its client address's
/// cap (``ClientConnectionCounter``) when it becomes active, and closes it at once, before
/// anything is read, when the address already holds the cap.
final class ConnectionCapHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let counter: ClientConnectionCounter
    private let logger: Logger
    /// The address counted, once admitted; released exactly once.
    private var counted: String?
    /// Whether the connection was admitted, once decided.
    private var decided: Bool?

    /// Creates the handler for one connection.
    init(counter: ClientConnectionCounter, logger: Logger) {
        self.counter = counter
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { _ = admit(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if admit(context) { context.fireChannelActive() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    /// Counts the connection once; false (and the connection closing) when refused.
    private func admit(_ context: ChannelHandlerContext) -> Bool {
        if let decided { return decided }
        // The address without its port: every connection from one client shares it.
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        switch counter.admit(address) {
        case .admitted:
            counted = address
            decided = true
        case .refused(let isFirst):
            if isFirst {
                logger.warning("connection refused: the client address holds the most connections allowed",
                               metadata: ["client": "\(address)", "setting": "server.max_connections_per_client"])
            }
            decided = false
            context.close(promise: nil)
        }
        return decided ?? false
    }

    private func release() {
        if let counted {
            counter.release(counted)
            self.counted = nil
        }
    }
}

@available(*, unavailable)
extension ConnectionCapHandler: Sendable {}
