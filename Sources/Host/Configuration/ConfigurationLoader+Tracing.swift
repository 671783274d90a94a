import Foundation

// MARK: - Reading `tracing:` of channels.yaml

extension ConfigurationLoader {
    /// Reads `tracing:`; values are checked whether tracing is on or not, so that turning it
    /// on later does not reveal a mistake made now.
    func readTracing(_ section: MappingReader) -> TracingConfiguration {
        section.rejectUnknownKeys(known: TracingConfiguration.keys)
        var tracing = TracingConfiguration()
        tracing.enabled = section.boolean("enabled", default: false)
        let endpoint = section.url("endpoint", default: TracingConfiguration.defaultEndpoint)
        tracing.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        let expected = TracingConfiguration.WireProtocol.allCases.map(\.rawValue).joined(separator: " or ")
        tracing.wireProtocol = section.value("protocol", default: .protobuf) { text in
            TracingConfiguration.WireProtocol(rawValue: text.lowercased()).map { .success($0) }
                ?? .failure(.init(message: "unknown protocol '\(text)'; expected \(expected)"))
        }
        tracing.serviceName = section.string("service_name", default: TracingConfiguration.defaultServiceName)
        tracing.sampleRatio = section.value("sample_ratio", default: 1.0) { text in
            guard let ratio = Double(text.trimmingCharacters(in: .whitespaces)), ratio.isFinite, (0...1).contains(ratio) else {
                return .failure(.init(message: "expected a number from 0 to 1, got '\(text)'"))
            }
            return .success(ratio)
        }
        return tracing
    }
}
