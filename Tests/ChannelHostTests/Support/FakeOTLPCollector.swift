import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A local OpenTelemetry collector speaking OTLP/HTTP with the JSON encoding: it takes
/// `POST /v1/traces` (an `ExportTraceServiceRequest`), records every span, and answers an
/// empty `ExportTraceServiceResponse`, as a real collector does.
final class FakeOTLPCollector: Sendable {
    /// One span as exported.
    struct Span: Sendable, Equatable {
        let name: String
        /// Lowercase hex, whatever the exporter's JSON wrote (hex or base64).
        let traceID: String
        let spanID: String
        /// Empty for a root span.
        let parentSpanID: String
        /// Attribute values as text, by key.
        let attributes: [String: String]
        /// The resource's `service.name`.
        let serviceName: String?
    }

    let baseURL: String
    private let spans = Mutex<[Span]>([])
    private let requestCount = Mutex(0)
    private let server: LoopbackServer

    private init(baseURL: String, server: LoopbackServer) {
        self.baseURL = baseURL
        self.server = server
    }

    /// Starts the collector on a loopback port.
    static func start() async throws -> FakeOTLPCollector {
        let box = Mutex<FakeOTLPCollector?>(nil)
        let router = Router()
        router.post("v1/traces") { request, _ in
            let body = try await request.body.collect(upTo: 16 << 20)
            box.withLock { $0 }?.record(Array(buffer: body), contentType: request.headers[.contentType])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
        }
        let served = try await LoopbackServer.start(router, logger: Logger(label: "fake-otlp"))
        let collector = FakeOTLPCollector(baseURL: "http://127.0.0.1:\(served.port)", server: served)
        box.withLock { $0 = collector }
        return collector
    }

    func stop() async throws {
        try await server.stop()
    }

    /// Every span received so far, in arrival order.
    var received: [Span] { spans.withLock { $0 } }

    /// How many export requests arrived, whatever they held.
    var requests: Int { requestCount.withLock { $0 } }

    private func record(_ body: [UInt8], contentType: String?) {
        requestCount.withLock { $0 += 1 }
        guard contentType?.hasPrefix("application/json") == true,
              let root = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return }
        var found: [Span] = []
        for resourceSpans in root["resourceSpans"] as? [[String: Any]] ?? [] {
            let resource = Self.attributes((resourceSpans["resource"] as? [String: Any])?["attributes"])
            for scopeSpans in resourceSpans["scopeSpans"] as? [[String: Any]] ?? [] {
                for span in scopeSpans["spans"] as? [[String: Any]] ?? [] {
                    found.append(Span(
                        name: span["name"] as? String ?? "",
                        traceID: Self.hex(span["traceId"]), spanID: Self.hex(span["spanId"]),
                        parentSpanID: Self.hex(span["parentSpanId"]),
                        attributes: Self.attributes(span["attributes"]), serviceName: resource["service.name"]))
                }
            }
        }
        spans.withLock { $0 += found }
    }

    /// OTLP/JSON's `[{"key": …, "value": {"stringValue"|"intValue"|…: …}}]` as text by key.
    private static func attributes(_ value: Any?) -> [String: String] {
        var result: [String: String] = [:]
        for attribute in value as? [[String: Any]] ?? [] {
            guard let key = attribute["key"] as? String, let value = attribute["value"] as? [String: Any],
                  let first = value.values.first else { continue }
            result[key] = "\(first)"
        }
        return result
    }

    /// An id as lowercase hex: OTLP/JSON writes hex; protobuf's JSON mapping writes base64.
    private static func hex(_ value: Any?) -> String {
        guard let text = value as? String, !text.isEmpty else { return "" }
        if text.count.isMultiple(of: 2), text.allSatisfy(\.isHexDigit) { return text.lowercased() }
        guard let bytes = Data(base64Encoded: text) else { return text }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }
}
