import NIOCore
import NIOHTTP1
import NIOPosix

/// One request of an open-loop run, ready to write.
struct PreparedRequest: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer
}

/// The outcome of one request: when it was due, when its response ended, its status.
struct RequestOutcome: Sendable {
    /// Monotonic nanoseconds at which the request was scheduled (not when it was written).
    var scheduled: UInt64 = 0
    /// Monotonic nanoseconds at which the request was handed to its connection.
    var sent: UInt64 = 0
    /// Monotonic nanoseconds at which the response's end arrived; 0 if none did.
    var finished: UInt64 = 0
    /// HTTP status; 0 for a connection error.
    var status: UInt = 0

    /// Latency from the scheduled send time: includes any time spent waiting for a free
    /// connection, so coordinated omission cannot hide a stall.
    var latency: UInt64 { finished >= scheduled && finished > 0 ? finished - scheduled : 0 }

    /// How late the driver itself handed the request to a connection (timer wake-up, or
    /// waiting for a free connection).
    var lateness: UInt64 { sent >= scheduled ? sent - scheduled : 0 }
}

/// An open-loop HTTP/1.1 load generator: request `i` is due at `start + i / rate`, whatever
/// happened to the earlier ones. Everything runs on one event loop; a request that finds no
/// idle connection waits for one (or for a new one, up to `maxConnections`) and that wait
/// counts in its latency.
final class OpenLoopDriver: @unchecked Sendable {
    // All mutable state is touched on `loop` only.
    private let loop: any EventLoop
    private let host: String
    private let port: Int
    private let requests: [PreparedRequest]
    private let intervalNanos: Double
    private let maxConnections: Int
    private var start: UInt64 = 0
    private var next = 0
    private var idle: [Connection] = []
    private var waiting: [Int] = []
    private var waitingHead = 0
    private var open = 0
    private var connecting = 0
    private var settled = 0
    private(set) var outcomes: [RequestOutcome]
    private var finished: EventLoopPromise<Void>?
    /// The largest number of connections open at once.
    private(set) var peakConnections = 0
    /// Connections that failed to connect or closed with a request in flight.
    private(set) var connectionErrors = 0
    /// Called on the loop for each finished request (index, outcome).
    var onOutcome: (@Sendable (Int, RequestOutcome) -> Void)?

    init(loop: any EventLoop, host: String, port: Int, requests: [PreparedRequest], ratePerSecond: Double, maxConnections: Int) {
        self.loop = loop
        self.host = host
        self.port = port
        self.requests = requests
        self.intervalNanos = 1e9 / ratePerSecond
        self.maxConnections = maxConnections
        self.outcomes = Array(repeating: RequestOutcome(), count: requests.count)
    }

    /// Opens `count` connections ahead of the run (a real platform keeps connections warm too).
    func preconnect(_ count: Int) async throws {
        try await loop.flatSubmit { () -> EventLoopFuture<Void> in
            let futures = (0..<count).map { _ in self.connect() }
            return EventLoopFuture.andAllSucceed(futures, on: self.loop)
        }.get()
    }

    /// Runs the schedule; returns once every request has a response or an error, or at
    /// `timeout` after the last one was due.
    /// - Parameter startingAt: monotonic nanoseconds at which the first request is due
    ///   (drivers sharing one schedule start apart); 1 ms from now by default.
    func run(timeout: TimeAmount, startingAt: UInt64? = nil) async throws -> [RequestOutcome] {
        try await loop.flatSubmit { () -> EventLoopFuture<Void> in
            let promise = self.loop.makePromise(of: Void.self)
            self.finished = promise
            self.start = startingAt ?? monotonicNanos() + 1_000_000
            let lastDue = self.due(self.requests.count - 1)
            self.loop.scheduleTask(deadline: .uptimeNanoseconds(lastDue) + timeout) {
                self.finished?.succeed(())
                self.finished = nil
            }
            self.tick()
            return promise.futureResult
        }.get()
        return try await loop.submit { self.outcomes }.get()
    }

    /// Monotonic nanoseconds at which request `index` is due.
    func due(_ index: Int) -> UInt64 {
        start + UInt64((Double(index) * intervalNanos).rounded())
    }

    var startNanos: UInt64 { start }

    private func tick() {
        let now = monotonicNanos()
        while next < requests.count, due(next) <= now {
            outcomes[next].scheduled = due(next)
            dispatch(next)
            next += 1
        }
        if next < requests.count {
            loop.scheduleTask(deadline: .uptimeNanoseconds(due(next))) { self.tick() }
        }
    }

    private func dispatch(_ index: Int) {
        if let connection = idle.popLast() {
            outcomes[index].sent = monotonicNanos()
            connection.send(index, requests[index])
        } else {
            waiting.append(index)
            if open + connecting < maxConnections, waiting.count - waitingHead > connecting {
                _ = connect()
            }
        }
    }

    private func connect() -> EventLoopFuture<Void> {
        connecting += 1
        let handler = Connection(driver: self)
        return ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: host, port: port)
            .map { _ in
                self.connecting -= 1
                self.open += 1
                self.peakConnections = Swift.max(self.peakConnections, self.open)
                self.becameIdle(handler)
            }
            .flatMapErrorThrowing { error in
                self.connecting -= 1
                self.connectionErrors += 1
                throw error
            }
    }

    fileprivate func completed(_ connection: Connection, index: Int, status: UInt) {
        outcomes[index].finished = status == 0 ? 0 : monotonicNanos()
        outcomes[index].status = status
        onOutcome?(index, outcomes[index])
        settled += 1
        if settled == requests.count {
            finished?.succeed(())
            finished = nil
        }
    }

    fileprivate func becameIdle(_ connection: Connection) {
        if waitingHead < waiting.count {
            let index = waiting[waitingHead]
            waitingHead += 1
            if waitingHead > 4096, waitingHead * 2 > waiting.count {
                waiting.removeFirst(waitingHead)
                waitingHead = 0
            }
            outcomes[index].sent = monotonicNanos()
            connection.send(index, requests[index])
        } else {
            idle.append(connection)
        }
    }

    fileprivate func closed(_ connection: Connection, inFlight: Int?) {
        open -= 1
        idle.removeAll { $0 === connection }
        if let inFlight {
            connectionErrors += 1
            completed(connection, index: inFlight, status: 0)
        }
        if waitingHead < waiting.count, open + connecting < maxConnections {
            _ = connect()
        }
    }

    /// Closes every idle connection.
    func closeAll() async {
        let channels = try? await loop.submit { self.idle.compactMap(\.context?.channel) }.get()
        for channel in channels ?? [] {
            try? await channel.close()
        }
    }
}

/// One keep-alive connection: writes a request, waits for its response, becomes idle.
private final class Connection: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private let driver: OpenLoopDriver
    fileprivate var context: ChannelHandlerContext?
    private var inFlight: Int?
    private var status: UInt = 0

    init(driver: OpenLoopDriver) {
        self.driver = driver
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func send(_ index: Int, _ request: PreparedRequest) {
        guard let context else { return }
        inFlight = index
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(request.body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status.code
        case .body:
            break
        case .end:
            guard let index = inFlight else { return }
            inFlight = nil
            driver.completed(self, index: index, status: status)
            driver.becameIdle(self)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let index = inFlight
        inFlight = nil
        self.context = nil
        driver.closed(self, inFlight: index)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

extension PreparedRequest {
    /// A signed webhook POST.
    static func webhook(host: String, port: Int, path: String, body: [UInt8], signature: String) -> PreparedRequest {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "X-Hub-Signature-256", value: signature)
        return PreparedRequest(head: HTTPRequestHead(version: .http1_1, method: .POST, uri: path, headers: headers),
                               body: ByteBuffer(bytes: body))
    }
}
