@testable import ChannelHost
import Logging
import Synchronization
import Testing

/// The host's log handler writes exactly the lines `StreamLogHandler` writes.
@Suite("Host log handler")
struct HostLogHandlerTests {
    /// Collects what a handler writes.
    final class Lines: TextOutputStream, Sendable {
        private let text = Mutex("")
        func write(_ string: String) { text.withLock { $0 += string } }
        /// The lines' timestamps.
        var timestamps: [String] {
            text.withLock { $0 }.split(separator: "\n").map { String($0.prefix(while: { $0 != " " })) }
        }

        /// The lines without their timestamps (which may differ by a second).
        var withoutTimestamps: [String] {
            text.withLock { $0 }.split(separator: "\n").map { line in
                String(line.drop(while: { $0 != " " }))
            }
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String { "it failed" }
    }

    /// Logs the same things through a logger made with `make`.
    static func exercise(_ make: (String) -> any LogHandler) {
        var logger = Logger(label: "sandra", factory: make)
        logger.info("no metadata")
        logger[metadataKey: "channel"] = "instagram"
        logger[metadataKey: "inbox_id"] = "42"
        logger.info("two keys")
        logger.debug("below the level")
        logger.warning("explicit wins", metadata: ["inbox_id": "43", "part": "1/2"])
        logger[metadataKey: "channel"] = nil
        logger.error("with an error", error: Failure())
        logger.notice("explicit only", metadata: ["a": .array(["x", "y"]), "b": .dictionary(["k": "v"])])
        var copy = logger
        copy[metadataKey: "copy"] = "yes"
        copy.info("the copy")
        logger.info("the original")
    }

    @Test("same lines as StreamLogHandler, with and without a metadata provider")
    func sameLines() {
        for provider in [nil, Logger.MetadataProvider { ["trace": "t1", "inbox_id": "provided"] }] {
            let expected = Lines()
            let actual = Lines()
            Self.exercise { label in
                var handler = StreamLogHandler(label: label, stream: expected, metadataProvider: provider)
                handler.logLevel = .info
                return handler
            }
            Self.exercise { label in
                HostLogHandler(label: label, level: .info, metadataProvider: provider) { actual.write($0) }
            }
            #expect(expected.withoutTimestamps.count == 7)
            #expect(actual.withoutTimestamps == expected.withoutTimestamps)
            // The time as StreamLogHandler writes it: local time with its offset, to the second.
            for timestamp in actual.timestamps {
                #expect(timestamp.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}/) != nil, "\(timestamp)")
            }
            #expect(actual.timestamps.count == 7)
        }
    }
}
