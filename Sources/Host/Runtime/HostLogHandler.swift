import Logging
import Synchronization
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The host's log handler: the lines swift-log's `StreamLogHandler` writes to standard output,
/// character for character, written for less.
///
/// Every request writes a log line, so its cost is paid by every webhook: `StreamLogHandler`
/// took about 60,000 instructions a line (and formatted all of a logger's metadata again on
/// every `logger[metadataKey:] = …`, which the pipeline does for every message). Here a
/// logger's metadata is kept as set and formatted only when a line is written; the line's
/// metadata is gathered without building merged dictionaries (the logger's, then the
/// metadata provider's, then the line's own and its error's, a later one winning for the
/// same key, as `StreamLogHandler` merges them); and the time is formatted once a second.
struct HostLogHandler: LogHandler {
    private let label: String
    private let write: @Sendable (String) -> Void

    /// The logger's own metadata.
    var metadata: Logger.Metadata = [:]
    /// Adds metadata to every line (the process's, from `LoggingSystem`).
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level

    /// A handler writing to standard output at `level`, flushed after every line.
    static func standardOutput(label: String, level: Logger.Level) -> HostLogHandler {
        HostLogHandler(label: label, level: level, metadataProvider: LoggingSystem.metadataProvider, write: StandardOutput.write)
    }

    /// A handler handing each line (with its line feed) to `write`.
    init(label: String, level: Logger.Level, metadataProvider: Logger.MetadataProvider?, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.logLevel = level
        self.metadataProvider = metadataProvider
        self.write = write
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = Timestamp.now()
        line += " "
        line += event.level.rawValue
        if !label.isEmpty { line += " " }
        line += label
        line += ":"
        appendMetadata(of: event, to: &line)
        line += " ["
        line += event.source
        line += "] "
        line += event.message.description
        line += "\n"
        write(line)
    }

    /// ` key=value key=value`, sorted by key, or nothing when there is no metadata.
    private func appendMetadata(of event: LogEvent, to line: inout String) {
        var pairs: [(key: String, value: Logger.MetadataValue)] = []
        pairs.reserveCapacity(metadata.count + (event.metadata?.count ?? 0) + 2)
        for (key, value) in metadata { pairs.append((key, value)) }
        if let provided = metadataProvider?.get() {
            for (key, value) in provided { pairs.append((key, value)) }
        }
        if let explicit = event.metadata {
            for (key, value) in explicit { pairs.append((key, value)) }
        }
        if let error = event.error {
            pairs.append(("error.message", "\(error)"))
            pairs.append(("error.type", "\(String(reflecting: type(of: error)))"))
        }
        guard !pairs.isEmpty else { return }
        // Sorted by key, the later of two equal keys last (a stable sort by key, then position).
        let order = pairs.indices.sorted { pairs[$0].key < pairs[$1].key || (pairs[$0].key == pairs[$1].key && $0 < $1) }
        for (position, index) in order.enumerated() {
            if position + 1 < order.count, pairs[order[position + 1]].key == pairs[index].key { continue }
            line += " "
            line += pairs[index].key
            line += "="
            line += pairs[index].value.description
        }
    }
}

/// The local time as `StreamLogHandler` writes it (`%Y-%m-%dT%H:%M:%S%z`), formatted once a second.
private enum Timestamp {
    private static let last = Mutex<(second: Int, text: String)>((-1, ""))

    static func now() -> String {
        let second = time(nil)
        if let text = last.withLock({ $0.second == second ? $0.text : nil }) { return text }
        var seconds = second
        var local = tm()
        guard localtime_r(&seconds, &local) != nil else { return "<unknown>" }
        var buffer = [CChar](repeating: 0, count: 64)
        strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
        let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        last.withLock { $0 = (second, text) }
        return text
    }
}

/// Standard output, a line at a time, flushed after each (as `StreamLogHandler` writes it).
private enum StandardOutput {
    @Sendable static func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            flockfile(stdout)
            defer { funlockfile(stdout) }
            if let base = bytes.baseAddress { _ = fwrite(base, 1, bytes.count, stdout) }
            fflush(stdout)
        }
    }
}
