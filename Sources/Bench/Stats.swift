import Foundation
import NIOCore

/// The monotonic clock every measurement uses (`CLOCK_MONOTONIC`, shared by all processes).
@inline(__always)
func monotonicNanos() -> UInt64 {
    NIODeadline.now().uptimeNanoseconds
}

/// Percentiles of a set of durations in nanoseconds (nearest-rank).
struct Percentiles {
    let sorted: [UInt64]

    init(_ values: [UInt64]) {
        sorted = values.sorted()
    }

    var count: Int { sorted.count }

    /// The `p`-th percentile (0...100), nearest-rank; 0 when empty.
    func value(_ p: Double) -> UInt64 {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[Swift.min(Swift.max(rank, 1), sorted.count) - 1]
    }

    var max: UInt64 { sorted.last ?? 0 }

    var mean: Double {
        sorted.isEmpty ? 0 : Double(sorted.reduce(0, +)) / Double(sorted.count)
    }
}

/// `key=value` lines appended to the run's results file; `report` reads them back.
struct ResultsFile {
    let path: String?

    func write(_ prefix: String, _ values: KeyValuePairs<String, String>) {
        let lines = values.map { "\(prefix).\($0.key)=\($0.value)" }.joined(separator: "\n") + "\n"
        print(lines, terminator: "")
        guard let path else { return }
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        handle.seekToEndOfFile()
        handle.write(Data(lines.utf8))
        try? handle.close()
    }

    /// Appends ready-made `key=value` lines to the file at `path`, which must exist.
    static func append(_ lines: [String], to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((lines.joined(separator: "\n") + "\n").utf8))
        try handle.close()
    }

    static func read(_ path: String) -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }
}

/// Microseconds with one decimal, from nanoseconds.
func micros(_ nanos: UInt64) -> String {
    String(format: "%.1f", Double(nanos) / 1000)
}
