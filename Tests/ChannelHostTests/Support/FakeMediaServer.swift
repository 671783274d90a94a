import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A local CDN over real HTTP, for the media fetcher: files, redirects, bodies larger than any
/// cap (with and without a declared length), servers that trickle or stall. It records every
/// request and how many body bytes it managed to write.
final class FakeMediaServer: Sendable {
    /// A file to serve.
    struct File: Sendable {
        var status: Int = 200
        var contentType: String
        var bytes: [UInt8]
    }

    /// A request as received.
    struct Seen: Sendable {
        var path: String
        var headers: [String: String]
        /// The `Host` header (HTTP/1's, which HTTP types keep as the authority).
        var authority: String? = nil
    }

    let port: Int
    let baseURL: String
    /// `127.0.0.1:<port>`, for `media_allow_http_hosts`.
    var hostPort: String { "127.0.0.1:\(port)" }
    private let files = Mutex<[String: File]>([:])
    private let seen = Mutex<[Seen]>([])
    private let written = Mutex<Int>(0)
    private let open = Mutex<(count: Int, waiters: [CheckedContinuation<Void, Never>])>((0, []))
    private let server: LoopbackServer

    private init(port: Int, server: LoopbackServer) {
        self.port = port
        self.baseURL = "http://127.0.0.1:\(port)"
        self.server = server
    }

    /// Serves `file` at `/file/<name>`.
    func add(_ name: String, _ file: File) { files.withLock { $0[name] = file } }

    /// The URL of `/file/<name>`.
    func url(_ name: String) -> String { "\(baseURL)/file/\(name)" }

    /// Every request so far.
    var requests: [Seen] { seen.withLock { $0 } }

    /// Body bytes written by the streaming routes so far.
    var bytesWritten: Int { written.withLock { $0 } }

    /// Returns once no streaming response is being written any more: each one ends only
    /// when it is complete or its client hung up.
    func streamsClosed() async {
        await withCheckedContinuation { continuation in
            let ready = open.withLock { state in
                if state.count == 0 { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    private func streamOpened() { open.withLock { $0.count += 1 } }

    private func streamClosed() {
        let waiters = open.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.count -= 1
            guard state.count == 0 else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Starts the server.
    ///
    /// Routes: `/file/<name>`; `/redirect?to=<url>` (302); `/loop` (redirects to itself);
    /// `/endless` (chunked, no length, never ends); `/declared?bytes=N` (declares N, sends a
    /// little); `/trickle` (headers, then one byte every 200 ms); `/stall?ms=N` (no answer for N ms).
    static func start() async throws -> FakeMediaServer {
        let box = Box()
        let router = Router()
        router.get("file/{name}") { request, context -> Response in
            box.server?.record(request)
            guard let name = context.parameters.get("name"), let file = box.server?.files.withLock({ $0[name] }) else {
                return Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "URL signature expired")))
            }
            return Response(status: .init(code: file.status), headers: [.contentType: file.contentType],
                            body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
        }
        router.get("redirect") { request, _ -> Response in
            box.server?.record(request)
            let target = request.uri.queryParameters.get("to") ?? "/"
            return Response(status: .found, headers: [.location: target])
        }
        router.get("loop") { request, _ -> Response in
            box.server?.record(request)
            return Response(status: .movedPermanently, headers: [.location: "/loop"])
        }
        router.get("endless") { request, _ -> Response in
            box.server?.record(request)
            let chunk = ByteBuffer(bytes: MediaChunk.bytes)
            return Response(status: .ok, headers: [.contentType: "image/jpeg"], body: .init { writer in
                box.server?.streamOpened()
                defer { box.server?.streamClosed() }
                for _ in 0..<100_000 {
                    try await writer.write(chunk)
                    box.server?.written.withLock { $0 += chunk.readableBytes }
                }
                try await writer.finish(nil)
            })
        }
        router.get("declared") { request, _ -> Response in
            box.server?.record(request)
            let declared = request.uri.queryParameters.get("bytes").flatMap { Int($0) } ?? 0
            let chunk = ByteBuffer(bytes: MediaChunk.bytes)
            return Response(status: .ok, headers: [.contentType: "image/jpeg"], body: .init(contentLength: declared) { writer in
                box.server?.streamOpened()
                defer { box.server?.streamClosed() }
                var sent = 0
                while sent < declared {
                    let piece = chunk.getSlice(at: 0, length: min(chunk.readableBytes, declared - sent))!
                    try await writer.write(piece)
                    sent += piece.readableBytes
                    box.server?.written.withLock { $0 += piece.readableBytes }
                }
                try await writer.finish(nil)
            })
        }
        router.get("trickle") { request, _ -> Response in
            box.server?.record(request)
            return Response(status: .ok, headers: [.contentType: "image/png"], body: .init { writer in
                for index in 0..<600 {
                    try await writer.write(ByteBuffer(bytes: [UInt8(truncatingIfNeeded: index)]))
                    box.server?.written.withLock { $0 += 1 }
                    try await Task.sleep(for: .milliseconds(200))
                }
                try await writer.finish(nil)
            })
        }
        router.get("stall") { request, _ -> Response in
            box.server?.record(request)
            try await Task.sleep(for: .milliseconds(request.uri.queryParameters.get("ms").flatMap { Int($0) } ?? 3_000))
            return Response(status: .ok)
        }
        var logger = Logger(label: "fake-media")
        logger.logLevel = .critical
        let served = try await LoopbackServer.start(router, logger: logger)
        let server = FakeMediaServer(port: served.port, server: served)
        box.server = server
        return server
    }

    private func record(_ request: Request) {
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        seen.withLock { $0.append(Seen(path: request.uri.path, headers: headers, authority: request.head.authority)) }
    }

    func stop() async throws {
        try await server.stop()
    }

    private final class Box: @unchecked Sendable {
        // Set once before the server can receive requests that read it.
        nonisolated(unsafe) var server: FakeMediaServer?
    }
}

/// 64 KiB that start like a JPEG.
private enum MediaChunk {
    static let bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + [UInt8](repeating: 0x41, count: 65_532)
}
