import ChannelKit
import Foundation
import Testing
@testable import ChannelHost

/// The `tracing:` section of `channels.yaml`.
@Suite("tracing: in channels.yaml")
struct TracingConfigurationTests {
    static func load(_ yaml: String, environment: [String: String] = [:]) throws(ConfigurationError) -> HostConfiguration {
        try ConfigurationLoader(registry: .builtin, environment: environment).load(yaml: yaml, file: "channels.yaml")
    }

    @Test("absent: off, with the documented defaults")
    func defaults() throws {
        let tracing = try Self.load("").tracing
        #expect(tracing == TracingConfiguration())
        #expect(!tracing.enabled)
        #expect(tracing.tracesURL == "http://127.0.0.1:4318/v1/traces")
        #expect(tracing.wireProtocol == .protobuf && tracing.serviceName == "sandra" && tracing.sampleRatio == 1)
    }

    @Test("every key is read, from the environment too; a trailing slash of the endpoint is dropped")
    func readsEveryKey() throws {
        let tracing = try Self.load("""
            tracing:
              enabled: ${TRACING:-false}
              endpoint: http://collector.internal:4318/
              protocol: http/json
              service_name: sandra-eu
              sample_ratio: 0.25
            """, environment: ["TRACING": "true"]).tracing
        #expect(tracing.enabled)
        #expect(tracing.tracesURL == "http://collector.internal:4318/v1/traces")
        #expect(tracing.wireProtocol == .json)
        #expect(tracing.serviceName == "sandra-eu")
        #expect(tracing.sampleRatio == 0.25)
    }

    @Test("bad values and unknown keys are reported with their line and key")
    func badValues() throws {
        do {
            _ = try Self.load("""
                tracing:
                  endpoint: collector:4318
                  protocol: grpc
                  sample_ratio: 1.5
                  sampling: 1
                """)
            Issue.record("expected the configuration to be rejected")
        } catch {
            let byKey = Dictionary(error.problems.map { ($0.keyPath, $0) }, uniquingKeysWith: { first, _ in first })
            #expect(byKey["tracing.endpoint"]?.line == 2)
            #expect(byKey["tracing.protocol"]?.message.contains("http/protobuf or http/json") == true)
            #expect(byKey["tracing.protocol"]?.line == 3)
            #expect(byKey["tracing.sample_ratio"]?.message.contains("from 0 to 1") == true)
            #expect(byKey["tracing.sample_ratio"]?.line == 4)
            #expect(byKey["tracing.sampling"]?.line == 5, "\(error.problems)")
        }
    }

    @Test("the effective configuration prints the section, and loading it gives the same")
    func rendersAndRoundTrips() throws {
        let loader = ConfigurationLoader(registry: .builtin, environment: [:])
        let original = try Self.load("""
            tracing: { enabled: true, endpoint: "http://127.0.0.1:4318", protocol: http/json, service_name: s, sample_ratio: 0.5 }
            """)
        let text = loader.renderEffective(original)
        #expect(text.contains("tracing:\n  enabled: true\n"))
        var reloaded = try loader.load(yaml: text, file: "channels.yaml")
        reloaded.sourceFile = original.sourceFile
        #expect(reloaded.tracing == original.tracing)
    }
}
