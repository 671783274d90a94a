/// The `tracing:` section of `channels.yaml`: one message's way across hosts as an OpenTelemetry
/// trace (`webhook` → `process` → `assistant`, `render`, `send`), exported over OTLP/HTTP.
///
/// | Key | Default | Meaning |
/// |-----|---------|---------|
/// | `enabled` | `false` | Off: no tracer, no spans, nothing stored with a message. |
/// | `endpoint` | `http://127.0.0.1:4318` | The OTLP/HTTP collector's base URL; spans go to `<endpoint>/v1/traces`. |
/// | `protocol` | `http/protobuf` | `http/protobuf` or `http/json`. |
/// | `service_name` | `sandra` | The `service.name` of the spans. |
/// | `sample_ratio` | `1` | `0`…`1`: the share of new traces kept; a delivery's `traceparent` decides for its own trace. |
struct TracingConfiguration: Sendable, Hashable {
    /// The keys of the section.
    static let keys = ["enabled", "endpoint", "protocol", "service_name", "sample_ratio"]
    /// The default `endpoint`.
    static let defaultEndpoint = "http://127.0.0.1:4318"
    /// The default `service_name`.
    static let defaultServiceName = "sandra"

    /// The OTLP/HTTP encodings swift-otel offers (`protocol`).
    enum WireProtocol: String, Sendable, Hashable, CaseIterable {
        case protobuf = "http/protobuf"
        case json = "http/json"
    }

    /// Whether the host traces (`enabled`).
    var enabled: Bool = false
    /// The collector's base URL, without a trailing `/` (`endpoint`).
    var endpoint: String = TracingConfiguration.defaultEndpoint
    /// The encoding of exported spans (`protocol`).
    var wireProtocol: WireProtocol = .protobuf
    /// The spans' `service.name` (`service_name`).
    var serviceName: String = TracingConfiguration.defaultServiceName
    /// The share of new traces kept, `0`…`1` (`sample_ratio`).
    var sampleRatio: Double = 1

    /// Where spans are posted: the endpoint's `/v1/traces`.
    var tracesURL: String { endpoint + "/v1/traces" }
}
