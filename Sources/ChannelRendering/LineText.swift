/// Line and whitespace operations of the dialect writer, with the answers `Character` gives,
/// computed on UTF-8 bytes where that gives the same answer.
///
/// Swift's `Character` operations (`split(separator: "\n")`, `lastIndex(where: \.isWhitespace)`,
/// `allSatisfy(\.isWhitespace)`) find grapheme-cluster boundaries, which costs hundreds of
/// instructions per character; a reply is rendered line by line, so they dominated rendering.
/// On ASCII the clusters are known without that work: an ASCII whitespace byte is a cluster of
/// its own (or, `\r\n`, one with its neighbour, also whitespace), and a cluster holding an ASCII
/// byte that is not whitespace is not whitespace. Where a non-ASCII byte would decide the
/// answer (`é`, a no-break space, a combining mark after a space), or a `\r` is present, the
/// `Character` operation runs instead, so the results are identical for every input.
enum LineText {
    /// `Character.isWhitespace` for an ASCII byte: tab, line feed, vertical tab, form feed,
    /// carriage return, space.
    @inline(__always)
    static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }

    /// `text.split(separator: "\n", omittingEmptySubsequences: false)`.
    static func lines<Text: StringProtocol>(of text: Text) -> [Text.SubSequence] {
        let utf8 = text.utf8
        // The offsets of the line feeds, read from the text's bytes; nil with a `\r` (a `\r\n`
        // is one `Character`, which is not `"\n"`) or when the bytes are not contiguous.
        let newlines: [Int]? = utf8.withContiguousStorageIfAvailable { bytes -> [Int]? in
            var offsets: [Int] = []
            for (offset, byte) in bytes.enumerated() {
                if byte == 0x0A { offsets.append(offset) } else if byte == 0x0D { return nil }
            }
            return offsets
        } ?? nil
        guard let newlines else { return text.split(separator: "\n", omittingEmptySubsequences: false) }
        var lines: [Text.SubSequence] = []
        lines.reserveCapacity(newlines.count + 1)
        var start = utf8.startIndex
        var consumed = 0
        for offset in newlines {
            let newline = utf8.index(start, offsetBy: offset - consumed)
            lines.append(text[start..<newline])
            start = utf8.index(after: newline)
            consumed = offset + 1
        }
        lines.append(text[start..<utf8.endIndex])
        return lines
    }

    /// Whether `text` is empty or only whitespace (`allSatisfy(\.isWhitespace)`).
    static func isBlank<Text: StringProtocol>(_ text: Text) -> Bool {
        for byte in text.utf8 {
            if byte >= 0x80 { return text.allSatisfy(\.isWhitespace) }
            if !isASCIIWhitespace(byte) { return false }
        }
        return true
    }

    /// Where the text's trailing whitespace starts (`index(after: lastIndex(where: { !$0.isWhitespace }))`,
    /// `startIndex` when it is all whitespace), or nil when a non-ASCII byte leaves it to `Character`.
    static func trailingWhitespaceStart(of text: Substring) -> String.Index? {
        let utf8 = text.utf8
        var end = utf8.endIndex
        while end > utf8.startIndex {
            let before = utf8.index(before: end)
            let byte = utf8[before]
            if byte >= 0x80 { return nil }
            if !isASCIIWhitespace(byte) { return end }
            end = before
        }
        return end
    }

    /// Where the text's leading whitespace ends, or nil when a non-ASCII byte leaves it to `Character`.
    static func leadingWhitespaceEnd(of text: Substring) -> String.Index? {
        let utf8 = text.utf8
        var start = utf8.startIndex
        while start < utf8.endIndex {
            let byte = utf8[start]
            if byte >= 0x80 { return nil }
            if !isASCIIWhitespace(byte) { return start }
            start = utf8.index(after: start)
        }
        return start
    }
}

extension Substring {
    /// Whether the text is empty or only whitespace.
    var isBlank: Bool { LineText.isBlank(self) }

    /// The text without trailing whitespace (newlines included).
    func trimmingTrailingWhitespace() -> String {
        if let end = LineText.trailingWhitespaceStart(of: self) { return String(self[startIndex..<end]) }
        guard let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[...last])
    }

    /// The text without leading and trailing whitespace (newlines included).
    func trimmingWhitespace() -> String {
        if let start = LineText.leadingWhitespaceEnd(of: self), let end = LineText.trailingWhitespaceStart(of: self) {
            return start < end ? String(self[start..<end]) : ""
        }
        guard let first = firstIndex(where: { !$0.isWhitespace }),
              let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }
}

extension String {
    /// Whether the text is empty or only whitespace.
    var isBlank: Bool { LineText.isBlank(self) }

    /// The text without trailing whitespace (newlines included); the text itself, no copy, when
    /// it ends in an ASCII byte that is not whitespace.
    func trimmingTrailingWhitespace() -> String {
        if let last = utf8.last, last < 0x80, !LineText.isASCIIWhitespace(last) { return self }
        return self[...].trimmingTrailingWhitespace()
    }

    /// The text without leading and trailing whitespace (newlines included).
    func trimmingWhitespace() -> String { self[...].trimmingWhitespace() }
}
