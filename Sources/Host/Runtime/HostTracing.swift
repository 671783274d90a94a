import ChannelPipeline
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// Turns `tracing:` into the process's tracer: an OpenTelemetry tracer (swift-otel) exporting
/// over OTLP/HTTP, bootstrapped as the process's `InstrumentationSystem` by `sandra serve`
/// alone, and the service that batches and exports its spans.
///
/// The service runs first in the host's service group, so it stops last: the spans of the
/// replies finished during a graceful shutdown are exported before the process ends.
struct HostTracing {
    /// The pipeline's view of the tracer.
    let tracing: PipelineTracing
    /// Exports finished spans; flushes them at shutdown.
    let exporter: any Service

    /// Bootstraps the process's tracer when `configuration.enabled`; `nil` when off, with
    /// nothing bootstrapped (the process's instrumentation stays the no-op one).
    /// - Throws: swift-otel's error when the exporter cannot be made.
    static func bootstrap(_ configuration: TracingConfiguration, logger: Logger) throws -> HostTracing? {
        guard configuration.enabled else { return nil }
        let backend = try OTel.makeTracingBackend(configuration: otelConfiguration(configuration, logger: logger))
        InstrumentationSystem.bootstrap(backend.factory)
        logger.notice("tracing is on", metadata: [
            "endpoint": "\(configuration.tracesURL)", "protocol": "\(configuration.wireProtocol.rawValue)",
            "sample_ratio": "\(configuration.sampleRatio)",
        ])
        return HostTracing(tracing: PipelineTracing(tracer: backend.factory), exporter: backend.service)
    }

    /// swift-otel's settings for `configuration`: traces only (the host has its own logs and
    /// metrics), W3C Trace Context, sampled by ratio unless the parent decided.
    static func otelConfiguration(_ configuration: TracingConfiguration, logger: Logger) -> OTel.Configuration {
        var otel = OTel.Configuration.default
        otel.serviceName = configuration.serviceName
        otel.diagnosticLogger = .custom(logger)
        otel.propagators = [.traceContext]
        otel.logs.enabled = false
        otel.metrics.enabled = false
        otel.traces.enabled = true
        otel.traces.exporter = .otlp
        otel.traces.otlpExporter.endpoint = configuration.tracesURL
        otel.traces.otlpExporter.protocol = switch configuration.wireProtocol {
        case .protobuf: .httpProtobuf
        case .json: .httpJSON
        }
        otel.traces.sampler = configuration.sampleRatio < 1
            ? OTel.Configuration.TracesConfiguration.SamplerConfiguration.parentBasedTraceIDRatio(ratio: configuration.sampleRatio) ?? .parentBasedAlwaysOn
            : .parentBasedAlwaysOn
        return otel
    }
}
