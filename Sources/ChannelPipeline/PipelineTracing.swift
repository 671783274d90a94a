import Foundation
import Tracing

/// The spans of one message's way (swift-distributed-tracing), or nothing at all.
///
/// Off — no tracer, the default — every method runs its work and nothing else: no span, no
/// attributes, no context read; that is one branch on a stored optional. On, the host gives
/// the tracer it bootstrapped, and a message's trace runs `webhook` (the host's accept) →
/// `process` (whichever host claims it, continuing the trace stored with the inbox item) →
/// `assistant`, `render`, and one `send` per part and attempt.
///
/// A trace is stored as text (``InboxItem/traceContext``): the W3C Trace Context headers the
/// tracer's propagator writes, one `name: value` line each (`traceparent`, and `tracestate`
/// when there is one).
///
/// ```swift
/// let tracing = PipelineTracing(tracer: InstrumentationSystem.tracer)
/// try await tracing.span("webhook", parent: .headers(["traceparent": header]), kind: .server) { _ in
///     try await pipeline.accept(events)   // stores `tracing.currentContext()` with each item
/// }
/// ```
public struct PipelineTracing: Sendable {
    /// The tracer; `nil` when tracing is off.
    let tracer: (any Tracer)?

    /// No tracing: the default.
    public static let off = PipelineTracing(tracer: nil)

    /// Traces through `tracer`, or not at all when it is `nil`.
    public init(tracer: (any Tracer)?) {
        self.tracer = tracer
    }

    /// Whether spans are made.
    public var isOn: Bool { tracer != nil }

    /// Where a span's parent comes from.
    public enum Parent: Sendable {
        /// The current span, if any; else the span starts a new trace.
        case current
        /// The trace W3C Trace Context headers carry (`traceparent`, `tracestate`; names in
        /// lowercase), as an HTTP request brings them; a new trace without them.
        case headers([String: String])
        /// A trace stored with an inbox item (``currentContext()``'s text); a new trace when `nil`.
        case stored(String?)
    }

    /// Runs `work` in a span named `name` under `parent`. Off, runs `work` alone.
    /// - Parameters:
    ///   - attributes: sets the span's attributes; called only when tracing is on.
    ///   - work: given the span (`nil` when off), to record what came of it.
    public func span<T>(_ name: String, parent: Parent = .current, kind: SpanKind = .internal,
                        attributes: (inout SpanAttributes) -> Void = { _ in },
                        _ work: (_ span: (any Span)?) async throws -> T) async rethrows -> T {
        guard let tracer else { return try await work(nil) }
        var context = InstrumentationContext.topLevel
        switch parent {
        case .current:
            context = InstrumentationContext.current ?? .topLevel
        case .headers(let headers):
            tracer.extract(headers, into: &context, using: HeaderDictionary())
        case .stored(let stored):
            if let stored { tracer.extract(Self.headers(from: stored), into: &context, using: HeaderDictionary()) }
        }
        let span = tracer.startSpan(name, context: context, ofKind: kind)
        defer { span.end() }
        attributes(&span.attributes)
        do {
            return try await InstrumentationContext.$current.withValue(span.context) {
                try await work(span)
            }
        } catch {
            // The error's type only: its text may carry what the person wrote.
            span.setStatus(SpanStatus(code: .error, message: "\(type(of: error))"))
            throw error
        }
    }

    /// The current trace as text to store with an inbox item; `nil` when off or outside any span.
    public func currentContext() -> String? {
        guard let tracer, let context = InstrumentationContext.current else { return nil }
        var headers: [String: String] = [:]
        tracer.inject(context, into: &headers, using: HeaderDictionary())
        guard !headers.isEmpty else { return nil }
        return headers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n")
    }

    /// The headers of a stored trace: one `name: value` line each.
    static func headers(from stored: String) -> [String: String] {
        var headers: [String: String] = [:]
        for line in stored.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return headers
    }
}

/// Trace Context headers in a dictionary keyed by lowercase name, both ways.
private struct HeaderDictionary: Extractor, Injector {
    func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key.lowercased()]
    }

    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key.lowercased()] = value
    }
}
