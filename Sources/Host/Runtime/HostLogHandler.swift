import Logging

/// The host's log handler: swift-log's `StreamLogHandler`, writing the same lines, except that
/// a logger's metadata is formatted when a line is written instead of each time a key is set.
///
/// `StreamLogHandler` sorts, formats and joins all of a logger's metadata on every
/// `logger[metadataKey:] = …`. The webhook route sets the channel on its logger for every
/// request, and the pipeline the channel and inbox id for every message, while at the default
/// level most of those loggers never write a line: that formatting was about 30,000
/// instructions per answered message. Here the metadata is kept as set, merged as
/// `StreamLogHandler` merges it (the logger's, then the metadata provider's, then the line's
/// own, later ones winning) and handed to an inner `StreamLogHandler` with the line, which
/// formats it as it always does.
struct HostLogHandler: LogHandler {
    private var output: StreamLogHandler

    /// The logger's own metadata.
    var metadata: Logger.Metadata = [:]
    /// Adds metadata to every line (the process's, from `LoggingSystem`).
    var metadataProvider: Logger.MetadataProvider?

    var logLevel: Logger.Level {
        get { output.logLevel }
        set { output.logLevel = newValue }
    }

    /// A handler writing to standard output at `level`.
    static func standardOutput(label: String, level: Logger.Level) -> HostLogHandler {
        HostLogHandler(output: StreamLogHandler.standardOutput(label: label, metadataProvider: nil), level: level)
    }

    /// A handler writing lines through `output` (its metadata and metadata provider unused).
    init(output: StreamLogHandler, level: Logger.Level, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.output = output
        self.output.metadata = [:]
        self.output.metadataProvider = nil
        self.metadataProvider = metadataProvider
        self.output.logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = event
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, provided in provided }
        }
        if let explicit = event.metadata, !explicit.isEmpty {
            merged.merge(explicit) { _, explicit in explicit }
        }
        line.metadata = merged
        output.log(event: line)
    }
}
