import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A local HTTP server playing the receiver of the example webhook channel's replies:
/// `POST /replies` with `{"to","text"}` and a bearer token, answered `{"id": …}`.
final class FakeReplyReceiver: Sendable {
    struct Received: Sendable {
        let authorization: String?
        let to: String
        let text: String
    }

    /// The replies received, shared with the route.
    private final class Log: Sendable {
        let entries = Mutex<[Received]>([])
    }

    let url: String
    private let log: Log
    private let server: LoopbackServer

    var replies: [Received] { log.entries.withLock { $0 } }

    private init(url: String, log: Log, server: LoopbackServer) {
        self.url = url
        self.log = log
        self.server = server
    }

    static func start() async throws -> FakeReplyReceiver {
        let log = Log()
        let router = Router()
        router.post("replies") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            guard let object = try JSONSerialization.jsonObject(with: Data(Array(buffer: body))) as? [String: Any],
                  let to = object["to"] as? String, let text = object["text"] as? String else {
                return Response(status: .badRequest)
            }
            let count = log.entries.withLock { list in
                list.append(Received(authorization: request.headers[.authorization], to: to, text: text))
                return list.count
            }
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: #"{"id":"reply-\#(count)"}"#)))
        }
        let served = try await LoopbackServer.start(router, logger: Logger(label: "fake-replies"))
        return FakeReplyReceiver(url: "http://127.0.0.1:\(served.port)/replies", log: log, server: served)
    }

    func stop() async throws {
        try await server.stop()
    }
}
