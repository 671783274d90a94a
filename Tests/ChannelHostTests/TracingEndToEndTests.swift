import ChannelKit
import Foundation
import Testing
@testable import ChannelHost

/// Tracing through the real `sandra` process: one delivery's trace, continued from the
/// caller's `traceparent`, reaches an OTLP/HTTP collector as `webhook` → `process` →
/// `assistant`, `render`, `send`; with tracing off nothing is exported at all.
@Suite("Tracing one message's way", .serialized)
struct TracingEndToEndTests {
    /// The caller's trace the delivery carries (W3C Trace Context).
    static let callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let callerSpan = "00f067aa0ba902b7"
    static let text = "a table for two at eight"

    /// A live Instagram channel against the fake Graph API, the echo assistant, and `tracing`.
    static func config(port: Int, data: String, graph: FakeGraphServer, tracing: String) -> String {
        """
        server: { host: 127.0.0.1, port: \(port), shutdown_timeout_seconds: 10 }
        storage: { path: \(data)/sandra.sqlite }
        assistant: { type: echo }
        identity: { enabled: false }
        tracing: \(tracing)
        channels:
          instagram:
            type: instagram
            login: instagram
            access_token: \(FakeGraphServer.Tokens.instagramUser)
            app_secret: \(InstagramFixtures.appSecret)
            verify_token: \(InstagramFixtures.verifyToken)
            graph_api_base_url: \(graph.baseURL)
        """
    }

    /// Starts a host with `tracing`, delivers one message carrying the caller's trace, and
    /// stops the host gracefully: the reply is sent before it exits, and the exporter, which
    /// stops last, flushes its spans.
    /// - Returns: the collector, stopped, with what it received.
    static func deliverOne(tracing: (FakeOTLPCollector) -> String) async throws -> FakeOTLPCollector {
        let graph = try await FakeGraphServer.start()
        let collector = try await FakeOTLPCollector.start()
        do {
            try await deliverOne(graph: graph, collector: collector, tracing: tracing(collector))
        } catch {
            try? await graph.stop()
            try? await collector.stop()
            throw error
        }
        try await graph.stop()
        try await collector.stop()
        return collector
    }

    private static func deliverOne(graph: FakeGraphServer, collector: FakeOTLPCollector, tracing: String) async throws {
        let data = makeTemporaryDirectory()
        let host = try await ChildHost.launch(configuredFor: { port in
            try ProcessHeavyTests.DurabilityTests.write(config(port: port, data: data, graph: graph, tracing: tracing))
        }).host
        defer { host.killInBackground() }
        #expect(try await deliverTraced(to: host, sender: "igsid-trace", mid: "m-trace-1", text: text) == 200)
        #expect(await host.terminate() == 0, "\(host.log)")
        #expect(graph.requests(to: "/me/messages").count == 1, "the message was answered before the host stopped")
    }

    /// Delivers one signed Instagram message carrying the caller's trace; returns the status.
    static func deliverTraced(to host: ChildHost, sender: String, mid: String, text: String) async throws -> Int {
        let body = InstagramFixtures.body(sender: sender, mid: mid, text: text, timestamp: Int64(Date().timeIntervalSince1970 * 1000))
        return try await TestHTTP.request("POST", "\(host.baseURL)/api/channels/instagram", headers: [
            "Content-Type": "application/json", "X-Hub-Signature-256": InstagramFixtures.signature(body),
            "traceparent": "00-\(callerTrace)-\(callerSpan)-01",
        ], body: body).status
    }

    @Test("on: the collector gets webhook → process → assistant, render, send in the caller's trace, with their parents",
          .timeLimit(.minutes(3)))
    func spansOfOneMessage() async throws {
        let spans = try await Self.deliverOne { collector in
            #"{ enabled: true, endpoint: "\#(collector.baseURL)", protocol: http/json, service_name: sandra-test }"#
        }.received
        func one(_ name: String) throws -> FakeOTLPCollector.Span {
            let named = spans.filter { $0.name == name }
            #expect(named.count == 1, "\(name): \(spans.map(\.name))")
            return try #require(named.first)
        }
        let webhook = try one("webhook")
        let process = try one("process")
        let assistant = try one("assistant")
        let render = try one("render")
        let send = try one("send")

        #expect(spans.allSatisfy { $0.traceID == Self.callerTrace }, "one trace, the caller's: \(spans)")
        #expect(webhook.parentSpanID == Self.callerSpan)
        #expect(process.parentSpanID == webhook.spanID)
        #expect(assistant.parentSpanID == process.spanID)
        #expect(render.parentSpanID == process.spanID)
        #expect(send.parentSpanID == process.spanID)

        #expect(webhook.serviceName == "sandra-test")
        #expect(process.attributes["sandra.channel"] == "instagram")
        #expect(process.attributes["sandra.inbox_id"] != nil)
        #expect(process.attributes["sandra.attempt"] == "1")
        #expect(send.attributes["sandra.send.outcome"] == "sent")
        #expect(send.attributes["sandra.part"] == "0")
        #expect(send.attributes["sandra.send.attempt"] == "1")
        let values = spans.flatMap { $0.attributes.values }
        #expect(!values.contains { $0.contains("table for two") }, "no message text in a span")
    }

    @Test("off (the default): nothing reaches the collector, and the message is answered all the same",
          .timeLimit(.minutes(3)))
    func offExportsNothing() async throws {
        let collector = try await Self.deliverOne { collector in
            #"{ enabled: false, endpoint: "\#(collector.baseURL)", protocol: http/json }"#
        }
        #expect(collector.requests == 0)
    }
}
