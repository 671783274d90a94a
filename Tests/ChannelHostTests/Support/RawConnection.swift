import NIOCore
import NIOPosix
import Synchronization

/// A plain TCP connection to a loopback server, for clients that misbehave on purpose (send
/// nothing, or their request a byte at a time) and for reading an answer byte for byte.
final class RawConnection: Sendable {
    let channel: any Channel
    /// When the connection was opened (before the server accepted it).
    let opened: ContinuousClock.Instant
    private let received: Received
    /// Completes when the server first sends something, or closes the connection.
    private let firstBytes: EventLoopFuture<Void>

    private init(channel: any Channel, opened: ContinuousClock.Instant, received: Received, firstBytes: EventLoopFuture<Void>) {
        self.channel = channel
        self.opened = opened
        self.received = received
        self.firstBytes = firstBytes
    }

    /// Connects to `127.0.0.1:port`, from the loopback address `source` when given (every
    /// `127.x.y.z` reaches the loopback interface, so a test can be a second client address).
    static func open(port: Int, from source: String? = nil) async throws -> RawConnection {
        let received = Received()
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                let promise = channel.eventLoop.makePromise(of: Void.self)
                received.firstBytes.withLock { $0 = promise.futureResult }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(received, firstBytes: promise))
                }
            }
        if let source {
            bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0))
        }
        let opened = ContinuousClock.now
        let channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        let first = received.firstBytes.withLock { $0 } ?? channel.eventLoop.makeSucceededVoidFuture()
        return RawConnection(channel: channel, opened: opened, received: received, firstBytes: first)
    }

    /// Waits until the server sends its first bytes (or closes the connection).
    func firstAnswer() async {
        try? await firstBytes.get()
    }

    /// Whether the connection is still open (the server has not closed it).
    var isOpen: Bool { channel.isActive }

    /// Sends `text` as it is.
    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Sends `bytes` as they are.
    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// Waits until the server closes the connection; returns how long after opening it did.
    func closedAfter() async -> Duration {
        try? await channel.closeFuture.get()
        return received.closedAt.withLock { $0 ?? .now } - opened
    }

    /// Everything the server sent, once it has closed the connection.
    func answer() async -> String {
        try? await channel.closeFuture.get()
        return String(decoding: received.bytes.withLock { $0 }, as: UTF8.self)
    }

    /// What the server has sent so far, as text.
    func receivedSoFar() async -> String {
        String(decoding: received.bytes.withLock { $0 }, as: UTF8.self)
    }

    /// Closes the connection from this side.
    func close() async {
        try? await channel.close()
    }

    private final class Received: Sendable {
        let bytes = Mutex<[UInt8]>([])
        let closedAt = Mutex<ContinuousClock.Instant?>(nil)
        let firstBytes = Mutex<EventLoopFuture<Void>?>(nil)
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private let received: Received
        private let firstBytes: EventLoopPromise<Void>

        init(_ received: Received, firstBytes: EventLoopPromise<Void>) {
            self.received = received
            self.firstBytes = firstBytes
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.bytes.withLock { $0 += buffer.readableBytesView }
            firstBytes.succeed()
        }

        func channelInactive(context: ChannelHandlerContext) {
            received.closedAt.withLock { $0 = $0 ?? .now }
            firstBytes.succeed()
            context.fireChannelInactive()
        }
    }
}
