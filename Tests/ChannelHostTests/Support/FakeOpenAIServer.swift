import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A local OpenAI-compatible server speaking the real wire formats, with scripted answers:
/// `/v1/chat/completions` (text, or content parts with `image_url` data URLs) and
/// `/v1/audio/transcriptions` (`multipart/form-data`).
final class FakeOpenAIServer: Sendable {
    /// What to answer to one chat request.
    struct Answer: Sendable {
        var delay: Duration = .zero
        var status: Int = 200
        var content: String
    }

    /// One part of a message's content, when the content is an array.
    struct Part: Sendable, Equatable {
        var type: String
        var text: String?
        var imageURL: String?
    }

    /// A chat request as received.
    struct Received: Sendable {
        let authorization: String?
        let model: String
        /// Every message; a content array appears here as its text parts joined.
        let messages: [(role: String, content: String)]
        /// The last message's content parts, when its content was an array.
        let lastParts: [Part]?
        /// The raw body, for exact shape checks.
        let body: [UInt8]
        var lastUserText: String { messages.last { $0.role == "user" }?.content ?? "" }
    }

    /// A transcription request as received.
    struct Transcription: Sendable {
        let authorization: String?
        let contentType: String?
        /// The parts, in order; `nil` when the body was not well-formed multipart.
        let parts: [Multipart.Part]?
        func field(_ name: String) -> String? {
            parts?.first { $0.name == name && $0.filename == nil }.map { String(decoding: $0.content, as: UTF8.self) }
        }
        var file: Multipart.Part? { parts?.first { $0.name == "file" } }
    }

    /// What to answer to one transcription request.
    struct TranscriptionAnswer: Sendable {
        var status: Int = 200
        var text: String
    }

    let baseURL: String
    private let received = Mutex<[Received]>([])
    private let transcriptions = Mutex<[Transcription]>([])
    private let server: LoopbackServer

    var requests: [Received] { received.withLock { $0 } }
    var transcriptionRequests: [Transcription] { transcriptions.withLock { $0 } }

    private init(baseURL: String, server: LoopbackServer) {
        self.baseURL = baseURL
        self.server = server
    }

    /// Starts the server; `answer` decides the reply to each chat request, `transcribe` to each
    /// transcription (it may suspend, to hold a request while a test looks around).
    static func start(answer: @escaping @Sendable (Received) -> Answer,
                      transcribe: @escaping @Sendable (Transcription) async -> TranscriptionAnswer = { _ in .init(status: 500, text: "not scripted") })
        async throws -> FakeOpenAIServer {
        let box = Box()
        let router = Router()
        router.post("v1/chat/completions") { request, _ -> Response in
            let bytes = Array(buffer: try await request.body.collect(upTo: 64 << 20))
            guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
                  let model = object["model"] as? String,
                  let messages = object["messages"] as? [[String: Any]]
            else {
                return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"message":"bad request"}}"#)))
            }
            var lastParts: [Part]?
            let flattened = messages.map { message -> (String, String) in
                let role = (message["role"] as? String) ?? ""
                if let text = message["content"] as? String { lastParts = nil; return (role, text) }
                let parts = ((message["content"] as? [[String: Any]]) ?? []).map { part in
                    Part(type: (part["type"] as? String) ?? "", text: part["text"] as? String,
                         imageURL: (part["image_url"] as? [String: Any])?["url"] as? String)
                }
                lastParts = parts
                return (role, parts.compactMap(\.text).joined(separator: "\n"))
            }
            let received = Received(authorization: request.headers[.authorization], model: model,
                                    messages: flattened.map { (role: $0.0, content: $0.1) }, lastParts: lastParts, body: bytes)
            box.server?.received.withLock { $0.append(received) }
            let answer = answer(received)
            if answer.delay > .zero { try await Task.sleep(for: answer.delay) }
            let payload: [String: Any] = answer.status == 200
                ? ["id": "chatcmpl-test", "object": "chat.completion", "model": model,
                   "choices": [["index": 0, "finish_reason": "stop", "message": ["role": "assistant", "content": answer.content]]]]
                : ["error": ["message": answer.content, "type": "server_error"]]
            return try json(payload, status: answer.status)
        }
        router.post("v1/audio/transcriptions") { request, _ -> Response in
            let bytes = Array(buffer: try await request.body.collect(upTo: 64 << 20))
            let contentType = request.headers[.contentType]
            let parts = Multipart.boundary(of: contentType).flatMap { Multipart.parse(bytes, boundary: $0) }
            let transcription = Transcription(authorization: request.headers[.authorization], contentType: contentType, parts: parts)
            box.server?.transcriptions.withLock { $0.append(transcription) }
            guard parts != nil, transcription.file != nil, transcription.field("model") != nil else {
                return try json(["error": ["message": "file and model are required", "type": "invalid_request_error"]], status: 400)
            }
            let answer = await transcribe(transcription)
            return try answer.status == 200
                ? json(["text": answer.text], status: 200)
                : json(["error": ["message": answer.text, "type": "server_error"]], status: answer.status)
        }
        let served = try await LoopbackServer.start(router, logger: Logger(label: "fake-openai"))
        let server = FakeOpenAIServer(baseURL: "http://127.0.0.1:\(served.port)", server: served)
        box.server = server
        return server
    }

    private static func json(_ payload: [String: Any], status: Int) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: payload)
        return Response(status: .init(code: status), headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func stop() async throws {
        try await server.stop()
    }

    private final class Box: @unchecked Sendable {
        // Set once before the server can receive requests that read it.
        nonisolated(unsafe) var server: FakeOpenAIServer?
    }
}
