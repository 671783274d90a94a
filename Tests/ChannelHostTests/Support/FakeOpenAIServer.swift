import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A local OpenAI-compatible server speaking the real `/v1/chat/completions` wire format,
/// with a scripted answer per request.
final class FakeOpenAIServer: Sendable {
    /// What to answer to one request.
    struct Answer: Sendable {
        var delay: Duration = .zero
        var status: Int = 200
        var content: String
    }

    /// A request as received.
    struct Received: Sendable {
        let authorization: String?
        let model: String
        let messages: [(role: String, content: String)]
        var lastUserText: String { messages.last { $0.role == "user" }?.content ?? "" }
    }

    let baseURL: String
    private let received = Mutex<[Received]>([])
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    var requests: [Received] { received.withLock { $0 } }

    private init(baseURL: String, group: ServiceGroup, running: Task<Void, any Error>) {
        self.baseURL = baseURL
        self.group = group
        self.running = running
    }

    /// Starts the server; `answer` decides the reply to each request from the last user message.
    static func start(answer: @escaping @Sendable (Received) -> Answer) async throws -> FakeOpenAIServer {
        let port = try freePort()
        let box = Box()
        let router = Router()
        router.post("v1/chat/completions") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 8 << 20)
            guard let object = try JSONSerialization.jsonObject(with: Data(Array(buffer: body))) as? [String: Any],
                  let model = object["model"] as? String,
                  let messages = object["messages"] as? [[String: Any]]
            else {
                return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"message":"bad request"}}"#)))
            }
            let received = Received(
                authorization: request.headers[.authorization], model: model,
                messages: messages.map { (($0["role"] as? String) ?? "", ($0["content"] as? String) ?? "") })
            box.server?.received.withLock { $0.append(received) }
            let answer = answer(received)
            if answer.delay > .zero { try await Task.sleep(for: answer.delay) }
            let payload: [String: Any] = answer.status == 200
                ? ["id": "chatcmpl-test", "object": "chat.completion", "model": model,
                   "choices": [["index": 0, "finish_reason": "stop", "message": ["role": "assistant", "content": answer.content]]]]
                : ["error": ["message": answer.content, "type": "server_error"]]
            let data = try JSONSerialization.data(withJSONObject: payload)
            return Response(status: .init(code: answer.status), headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                              onServerRunning: { _ in startedContinuation.finish() })
        let group = ServiceGroup(configuration: .init(services: [app], logger: .init(label: "fake-openai")))
        let server = FakeOpenAIServer(baseURL: "http://127.0.0.1:\(port)", group: group, running: Task { try await group.run() })
        box.server = server
        for await _ in started {}
        return server
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }

    private final class Box: @unchecked Sendable {
        // Set once before the server can receive requests that read it.
        nonisolated(unsafe) var server: FakeOpenAIServer?
    }
}

