import Hummingbird
import Logging
import NIOCore
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
    var counts: (messages: Int, typing: Int, unmatched: Int) {
        state.withLock { ($0.messages, $0.typing, $0.unmatched) }
    }
}

/// A fake Graph Send API on loopback: `POST /<version>/me/messages` answers
/// `{"recipient_id":…,"message_id":…}` at once (or never, with `stall`).
enum FakeGraph {
    /// - Parameter stall: never answer (the diagnostic run that holds replies back so that
    ///   only ingestion uses the CPUs; the host's calls wait for their timeout).
    static func application(host: String, port: Int, recorder: GraphRecorder, stall: Bool = false,
                            onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        var logger = Logger(label: "fake-graph")
        // Hummingbird reports the cancellation that stops an in-process server as an error.
        logger.logLevel = .critical
        let router = Router()
        let reply = ByteBuffer(string: #"{"recipient_id":"5000000000000000","message_id":"m_bench"}"#)
        router.post("{version}/me/messages") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            recorder.record(body, at: monotonicNanos())
            if stall { try await Task.sleep(for: .seconds(3600)) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: reply))
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "fake-graph"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}
