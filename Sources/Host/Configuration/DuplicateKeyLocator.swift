import Yams

/// Finds the second occurrence of a duplicated key, and the key path around it, in block-style
/// YAML text.
///
/// Yams stops at a mapping with duplicate keys and reports only the first occurrence of the
/// first duplicate. The repeated key is the one to point at, so this reads the lines around
/// that position: siblings share its indentation, parents are the nearest less-indented keys
/// above. It gives up (returns `nil`) on flow-style mappings and lists, where the caller falls
/// back to Yams's position.
struct DuplicateKeyLocator {
    /// Where a duplicate is.
    struct Location: Equatable {
        /// The 1-based line of the repeated key.
        var line: Int
        /// The 1-based column of the repeated key.
        var column: Int
        /// The 1-based line of the first occurrence.
        var firstLine: Int
        /// The dotted path of the key.
        var keyPath: String
    }

    private let lines: [Substring]

    /// Creates a locator over a document.
    /// - Parameter yaml: the document's text.
    init(yaml: String) {
        lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasSuffix("\r") ? line.dropLast() : line
        }
    }

    /// Finds the repeated occurrence of `key` in the mapping that holds the key at `mark`.
    /// - Parameters:
    ///   - key: the duplicated key.
    ///   - mark: the position Yams reports, the first occurrence of a duplicate in that mapping.
    /// - Returns: the location, or `nil` when the text is not simple block style.
    func locate(_ key: String, near mark: Mark) -> Location? {
        let row = mark.line - 1
        let indent = mark.column - 1
        guard lines.indices.contains(row), Self.indentation(of: lines[row]) == indent,
              Self.key(of: lines[row]) != nil
        else { return nil }

        // The block of sibling keys: every line up and down until a less-indented one.
        var start = row
        while start > 0, Self.isInsideBlock(lines[start - 1], indent: indent) {
            start -= 1
        }
        var end = row
        while end + 1 < lines.count, Self.isInsideBlock(lines[end + 1], indent: indent) {
            end += 1
        }
        let occurrences = (start...end).filter { index in
            Self.indentation(of: lines[index]) == indent && Self.key(of: lines[index]) == key
        }
        guard occurrences.count >= 2, let keyPath = keyPath(of: key, above: start, indent: indent) else { return nil }
        return Location(line: occurrences[1] + 1, column: indent + 1, firstLine: occurrences[0] + 1, keyPath: keyPath)
    }

    /// The key path of `key`, made of the nearest less-indented keys above row `start`.
    private func keyPath(of key: String, above start: Int, indent: Int) -> String? {
        var path = [key]
        var current = indent
        var index = start - 1
        while current > 0, index >= 0 {
            let line = lines[index]
            index -= 1
            guard !Self.isBlankOrComment(line) else { continue }
            let lineIndent = Self.indentation(of: line)
            guard lineIndent < current else { continue }
            guard let parent = Self.key(of: line) else { return nil }
            path.insert(parent, at: 0)
            current = lineIndent
        }
        return current == 0 ? path.joined(separator: ".") : nil
    }

    private static func isInsideBlock(_ line: Substring, indent: Int) -> Bool {
        isBlankOrComment(line) || indentation(of: line) >= indent
    }

    private static func isBlankOrComment(_ line: Substring) -> Bool {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        return trimmed.isEmpty || trimmed.hasPrefix("#")
    }

    private static func indentation(of line: Substring) -> Int {
        line.prefix { $0 == " " }.count
    }

    /// The key a block mapping line starts with (`  port: 80` → `port`), unquoted; `nil` for
    /// list items, flow collections and lines without a key.
    private static func key(of line: Substring) -> String? {
        let content = line.drop { $0 == " " }
        guard let first = content.first, !"-[{#".contains(first) else { return nil }
        var rest = content[...]
        while let colon = rest.firstIndex(of: ":") {
            let after = content.index(after: colon)
            if after == content.endIndex || content[after] == " " || content[after] == "\t" {
                var key = content[..<colon].trimmingSuffix(while: { $0 == " " || $0 == "\t" })
                if key.count >= 2, let quote = key.first, quote == "\"" || quote == "'", key.last == quote {
                    key = key.dropFirst().dropLast()
                }
                return String(key)
            }
            rest = content[after...]
        }
        return nil
    }
}

extension Substring {
    /// The substring without its trailing characters that satisfy `predicate`.
    fileprivate func trimmingSuffix(while predicate: (Character) -> Bool) -> Substring {
        var result = self
        while let last = result.last, predicate(last) {
            result = result.dropLast()
        }
        return result
    }
}
