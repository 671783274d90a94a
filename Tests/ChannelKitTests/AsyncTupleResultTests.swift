import Foundation
import Testing

/// Swift 6.3 miscompiles, at `-O`, an async function or closure that returns a tuple with an
/// awaited element, such as `return (index, .success(try await fetch()))`: the elements known
/// before the suspension are written to the result before it and lost across it, so the caller
/// reads garbage (swiftlang/swift#91911, reverted by #92155). It crashed every release build on
/// the first downloaded photo. The project binds awaited values to locals before building a
/// tuple; this test keeps the shape out of the sources, since debug builds cannot show it.
@Suite("No tuple result with an awaited element")
struct AsyncTupleResultTests {
    /// The project's root, from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Where a tuple may start: `return (`, a line that is only `(…`, or `in (` (a closure's body).
    static let starts = try! NSRegularExpression(pattern: #"(return\s*|^\s*|\bin\s*)\("#)

    /// The lines with a tuple literal — a top-level comma between parentheses that close on the
    /// same line — in which something is awaited.
    static func offendingLines(in text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).compactMap { line in
            let line = String(line)
            guard !line.trimmingCharacters(in: .whitespaces).hasPrefix("//"), line.contains("await") else { return nil }
            let characters = Array(line.utf16)
            for match in starts.matches(in: line, range: NSRange(location: 0, length: characters.count)) {
                var depth = 0
                var topLevelComma = false
                var end = characters.count
                for index in (match.range.location + match.range.length - 1)..<characters.count {
                    switch characters[index] {
                    case 0x28, 0x5B: depth += 1                       // ( [
                    case 0x29, 0x5D: depth -= 1                       // ) ]
                    case 0x2C where depth == 1: topLevelComma = true  // ,
                    default: break
                    }
                    if depth == 0 { end = index; break }
                }
                let inside = String(utf16CodeUnits: Array(characters[match.range.location..<min(end + 1, characters.count)]),
                                    count: min(end + 1, characters.count) - match.range.location)
                if topLevelComma, inside.contains("await ") { return line }
            }
            return nil
        }
    }

    @Test("the pattern finds the shape that was miscompiled, and not its fix")
    func patternFindsTheShape() {
        #expect(Self.offendingLines(in: "        return (index, .success(try await fetcher.fetch(source, policy: policy)))").count == 1)
        #expect(Self.offendingLines(in: "group.addTask { [f] in (i, await f.get()) }").count == 1)
        #expect(Self.offendingLines(in: "        let data = try await fetcher.fetch(source)\n        return (index, .success(data))").isEmpty)
        #expect(Self.offendingLines(in: "    #expect(try await store.item(id) == nil)").isEmpty)
        #expect(Self.offendingLines(in: "                return (try await launch(config: path), path)").count == 1)
        #expect(Self.offendingLines(in: "    (try? await store.accept([a, b], at: now).count) == 1").isEmpty)
    }

    @Test("no Swift file of the project returns a tuple with an awaited element")
    func sourcesAreFree() throws {
        var found: [String] = []
        for folder in ["Sources", "Tests"] {
            let base = Self.root.appendingPathComponent(folder)
            guard let walker = FileManager.default.enumerator(atPath: base.path) else { continue }
            while let path = walker.nextObject() as? String {
                guard path.hasSuffix(".swift"), !path.hasSuffix("AsyncTupleResultTests.swift") else { continue }
                let text = try String(contentsOf: base.appendingPathComponent(path), encoding: .utf8)
                found += Self.offendingLines(in: text).map { "\(folder)/\(path): \($0.trimmingCharacters(in: .whitespaces))" }
            }
        }
        #expect(found.isEmpty, "bind the awaited value to a local first:\n\(found.joined(separator: "\n"))")
        #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent("Sources/ChannelKit").path))
    }
}
