import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// What the fake Graph Send API saw: every call counted, and for each echo reply the
/// monotonic arrival time keyed by the token in its text.
final class GraphRecorder: Sendable {
    private struct State {
        var arrivals: [Int: UInt64] = [:]
        var messages = 0
        var typing = 0
        var unmatched = 0
    }

    private let state = Mutex(State())
    /// Whether message texts are searched for tokens (the end-to-end run) or only counted.
    let matchTokens: Bool

    init(matchTokens: Bool) {
        self.matchTokens = matchTokens
    }

    private static let typingMarker = Array(#""sender_action""#.utf8)
    private static let tokenMarker = Array("You said: bench ".utf8)

    /// Records one Send API call that arrived at `time`.
    func record(_ body: ByteBuffer, at time: UInt64) {
        let bytes = body.readableBytesView
        if Self.find(Self.typingMarker, in: bytes) != nil {
            state.withLock { $0.typing += 1 }
            return
        }
        guard matchTokens else {
            state.withLock { $0.messages += 1 }
            return
        }
        var token: Int?
        if let end = Self.find(Self.tokenMarker, in: bytes) {
            var value = 0
            var index = end
            var digits = 0
            while index < bytes.endIndex, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                value = value * 10 + Int(bytes[index] - 0x30)
                index += 1
                digits += 1
            }
            if digits > 0 { token = value }
        }
        state.withLock { state in
            state.messages += 1
            if let token {
                if state.arrivals[token] == nil { state.arrivals[token] = time }
            } else {
                state.unmatched += 1
            }
        }
    }

    /// The index just past the first occurrence of `needle`.
    private static func find(_ needle: [UInt8], in bytes: ByteBufferView) -> ByteBufferView.Index? {
        guard let first = needle.first, bytes.count >= needle.count else { return nil }
        var index = bytes.startIndex
        let last = bytes.endIndex - needle.count
        while index <= last {
            if bytes[index] == first {
                var match = true
                for offset in 1..<needle.count where bytes[index + offset] != needle[offset] {
                    match = false
                    break
                }
                if match { return index + needle.count }
            }
            index += 1
        }
        return nil
    }

    var arrivals: [Int: UInt64] { state.withLock { $0.arrivals } }
    /// How many tokens have had a reply.
    var arrivalCount: Int { state.withLock { $0.arrivals.count } }

    /// The arrivals of the tokens in `tokens` only.
    func arrivals(tokens: Range<Int>) -> [Int: UInt64] {
        state.withLock { state in state.arrivals.filter { tokens.contains($0.key) } }
    }
    var counts: (messages: Int, typing: Int, unmatched: Int) {
        state.withLock { ($0.messages, $0.typing, $0.unmatched) }
    }
}

/// A fake Graph Send API on loopback: `POST /<version>/me/messages` answers
/// `{"recipient_id":…,"message_id":…}` at once (after `delay`, when given; or never, with `stall`);
/// `GET /bench/counts` answers the number of messages sent so far (for the bench, never the host).
///
/// Raw SwiftNIO on one event loop, answering from the channel handler: it stands in for Meta's
/// servers, which do not share the host's CPUs, so it should take as little of them as it can.
enum FakeGraph {
    /// The path that answers the number of messages sent so far.
    static let countsPath = "/bench/counts"

    /// Starts the server on its own event loop.
    /// - Parameter stall: never answer (the diagnostic run that holds replies back so that
    ///   only ingestion uses the CPUs; the host's calls wait for their timeout).
    /// - Parameter delay: answer this long after the call arrived (the time Meta's servers take),
    ///   recording the call when it arrives; `nil`: at once.
    /// - Returns: the listening channel (close it to stop) and the port it listens on.
    static func start(host: String, port: Int, recorder: GraphRecorder, stall: Bool = false, delay: TimeAmount? = nil,
                      group: any EventLoopGroup) async throws -> (channel: any Channel, port: Int) {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(FakeGraphHandler(recorder: recorder, stall: stall, delay: delay))
                }
            }
            .bind(host: host, port: port).get()
        return (channel, channel.localAddress?.port ?? port)
    }

    /// Runs `body` while a fake Graph API answering at once listens on `port`, on an event
    /// loop of its own; stops it after.
    static func serving<T>(host: String, port: Int, recorder: GraphRecorder, _ body: () async throws -> T) async throws -> T {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await start(host: host, port: port, recorder: recorder, group: group)
        defer {
            server.channel.close(promise: nil)
            group.shutdownGracefully { _ in }
        }
        return try await body()
    }
}

/// Answers each Send API call as soon as its body has arrived (or `delay` after).
private final class FakeGraphHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let reply = ByteBuffer(string: #"{"recipient_id":"5000000000000000","message_id":"m_bench"}"#)

    private let recorder: GraphRecorder
    private let stall: Bool
    private let delay: TimeAmount?
    private var body = ByteBuffer()
    private var keepAlive = true
    private var countsAsked = false

    init(recorder: GraphRecorder, stall: Bool, delay: TimeAmount?) {
        self.recorder = recorder
        self.stall = stall
        self.delay = delay
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
            countsAsked = head.method == .GET && head.uri == FakeGraph.countsPath
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            if countsAsked {
                return answer(context: context, keepAlive: keepAlive, body: ByteBuffer(string: String(recorder.counts.messages)))
            }
            recorder.record(body, at: monotonicNanos())
            guard !stall else { return }
            if let delay {
                // One call at a time per connection (HTTP/1.1 without pipelining): the next
                // request on this connection comes only after this answer.
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                let keepAlive = keepAlive
                context.eventLoop.scheduleTask(in: delay) { self.answer(context: bound.value, keepAlive: keepAlive) }
            } else {
                answer(context: context, keepAlive: keepAlive)
            }
        }
    }

    private func answer(context: ChannelHandlerContext, keepAlive: Bool, body: ByteBuffer = FakeGraphHandler.reply) {
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}
