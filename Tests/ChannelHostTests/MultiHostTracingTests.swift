import Foundation
import PostgreSQLTesting
import Testing
@testable import ChannelHost

extension ProcessHeavyTests {
    /// One message's trace across two `sandra` processes on one PostgreSQL database: accepted
    /// on one host, answered on the other, which continues the trace stored with the message.
    @Suite("A trace across hosts", .serialized)
    struct MultiHostTracingTests {
        /// A host of the group with tracing to `collector` under `service`, and `assistant`.
        static func config(port: Int, emulator: ChildHost, database: String, collector: FakeOTLPCollector, service: String,
                           assistant: String) -> String {
            MultiHostTests.hostConfig(port: port, emulatorPort: emulator.port, databaseURL: database, leaseSeconds: 3)
                .replacingOccurrences(of: "shutdown_timeout_seconds: 5", with: "shutdown_timeout_seconds: 1")
                .replacingOccurrences(of: "assistant: { type: echo }", with: "assistant: \(assistant)")
                + "\ntracing: { enabled: true, endpoint: \"\(collector.baseURL)\", protocol: http/json, service_name: \(service) }\n"
        }

        @Test("host A accepts and is stopped while its assistant is slow; host B answers the message in the same trace, under A's webhook span",
              .timeLimit(.minutes(5)))
        func traceContinuesOnTheOtherHost() async throws {
            let (arrived, signal) = AsyncStream.makeStream(of: Void.self)
            let openAI = try await FakeOpenAIServer.start(answer: { _ in
                signal.yield()
                return .init(delay: .seconds(30), content: "too late")
            })
            defer { Task { try? await openAI.stop() } }
            let collector = try await FakeOTLPCollector.start()
            defer { Task { try? await collector.stop() } }
            let emulator = try await ChildHost.launch(configuredFor: {
                try DurabilityTests.write(DurabilityTests.emulatorConfig(port: $0))
            }).host
            defer { emulator.terminateInBackground() }
            let database = try await TestPostgreSQLCluster.shared().createDatabase(prefix: "traces")

            // Host A takes the delivery and is working on it (waiting for the assistant) when it stops.
            let hostA = try await ChildHost.launch(configuredFor: { port in
                try DurabilityTests.write(Self.config(port: port, emulator: emulator, database: database, collector: collector,
                                                      service: "sandra-a",
                                                      assistant: #"{ type: openai, base_url: "\#(openAI.baseURL)", model: m, timeout_seconds: 60 }"#))
            }).host
            defer { hostA.killInBackground() }
            #expect(try await TracingEndToEndTests.deliverTraced(to: hostA, sender: "igsid-hop", mid: "m-hop-1",
                                                                 text: "hello across hosts") == 200)
            for await _ in arrived { break }
            #expect(await hostA.terminate() == 0, "\(hostA.log)")

            // Host B, started after A stopped, takes the message up and answers it.
            let hostB = try await ChildHost.launch(configuredFor: { port in
                try DurabilityTests.write(Self.config(port: port, emulator: emulator, database: database, collector: collector,
                                                      service: "sandra-b", assistant: "{ type: echo }"))
            }).host
            defer { hostB.killInBackground() }
            let sent = try await DurabilityTests.sentTexts(emulator: emulator.baseURL, minimum: 1)
            #expect(sent.count == 1 && sent.first?.text.contains("hello across hosts") == true, "\(sent)")
            #expect(await hostB.terminate() == 0, "\(hostB.log)")

            let spans = collector.received
            let webhooks = spans.filter { $0.name == "webhook" }
            let webhook = try #require(webhooks.first, "\(spans.map(\.name))")
            #expect(webhooks.count == 1 && webhook.serviceName == "sandra-a")
            #expect(spans.allSatisfy { $0.traceID == TracingEndToEndTests.callerTrace }, "one trace: \(spans)")
            let processB = try #require(spans.first { $0.name == "process" && $0.serviceName == "sandra-b" }, "\(spans)")
            #expect(processB.parentSpanID == webhook.spanID, "B continues the trace stored with the message, under A's webhook span")
            let send = try #require(spans.first { $0.name == "send" }, "\(spans.map(\.name))")
            #expect(send.serviceName == "sandra-b" && send.parentSpanID == processB.spanID)
        }
    }
}
