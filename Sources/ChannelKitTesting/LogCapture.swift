import Logging
import Synchronization

/// Records every log line of the loggers it makes, rendered as text, so that tests can check
/// what reaches the logs (and what must not: codes, addresses, message text, secrets).
///
/// ```swift
/// let capture = LogCapture()
/// let logger = capture.logger(label: "test")
/// // … run something with `logger` …
/// #expect(!capture.text.contains(code))
/// ```
public final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    /// Creates an empty capture.
    public init() {}

    /// A logger at `level` whose lines are recorded here.
    public func logger(label: String, level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: label) { [self] label in Handler(capture: self, label: label) }
        logger.logLevel = level
        return logger
    }

    /// Every line so far: level, label, message and metadata.
    public var entries: [String] { lines.withLock { $0 } }

    /// Every line so far, joined by newlines.
    public var text: String { entries.joined(separator: "\n") }

    fileprivate func append(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    private struct Handler: LogHandler {
        let capture: LogCapture
        let label: String
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.append("\(event.level) \(label): \(event.message) \(rendered)")
        }
    }
}
