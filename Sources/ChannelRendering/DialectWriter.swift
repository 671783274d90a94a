import ChannelKit
/// Writes the intermediate form (``MarkdownBlock``, ``MarkdownInline``) out in a chat dialect.
///
/// Choices shared by both dialects:
/// - blocks are separated by one blank line; items of a tight list, and the rows of a table, by a
///   line break;
/// - headings stand on their own line (plain: the bare text; WhatsApp: `*Heading*`);
/// - bullet items start with `• `, ordered items with their number (`3. `, from the list's start);
///   task items show `☐ ` / `☑ ` (instead of the bullet, after the number); nested content is
///   indented two spaces per level;
/// - block quotes: every line is prefixed with `> ` (a blank line inside the quote is `>`);
/// - thematic breaks: a line `———`;
/// - tables: the header row, then each body row, cells joined with ` · ` (an empty cell is `—`);
/// - links: `text (url)`; just the URL when the text is the URL, just the text when it is the URL
///   without its `http(s)://` scheme (`www.example.com`); `mailto:` links show the address instead
///   of the URL; images: `alt (url)` or the URL;
/// - code blocks keep their lines (plain: bare; WhatsApp: between ```` ``` ```` fence lines);
/// - every line loses its trailing whitespace; there are no leading or trailing blank lines.
///
/// Plain drops every emphasis, strong and strikethrough marker and the backticks of inline code;
/// WhatsApp writes `*bold*`, `_italic_`, `~strike~` and ```` ```code``` ````.
struct DialectWriter: Sendable {
    /// The dialects this writer produces.
    enum Dialect: Sendable, Hashable {
        /// Instagram-style plain text.
        case plain
        /// WhatsApp's markup.
        case whatsApp
    }

    /// The dialect written.
    var dialect: Dialect

    /// Creates a writer.
    init(dialect: Dialect) {
        self.dialect = dialect
    }

    /// Stands in for an opening code fence while lines are assembled (a Unicode noncharacter,
    /// removed from the input before parsing).
    private static let openFenceSentinel = Unicode.Scalar(0xFDD0 as UInt32)!
    /// Stands in for a closing code fence while lines are assembled.
    private static let closeFenceSentinel = Unicode.Scalar(0xFDD1 as UInt32)!

    /// Whether `scalar` is reserved for the writer's own use and must not appear in the input.
    static func isReservedScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar == openFenceSentinel || scalar == closeFenceSentinel
    }

    /// Whether `text` holds a reserved scalar, found by its UTF-8 bytes (`EF B7 90`, `EF B7 91`,
    /// which in valid UTF-8 encode nothing else).
    static func containsReservedScalar(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { reservedScalarOffset(in: $0, from: 0) != nil }
    }

    /// The offset of the first reserved scalar's first byte at or after `start` in `bytes`.
    @inline(__always)
    private static func reservedScalarOffset(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var index = start
        let end = bytes.count - 2
        while index < end {
            if bytes[index] == 0xEF, bytes[index + 1] == 0xB7, bytes[index + 2] & 0xFE == 0x90 { return index }
            index += 1
        }
        return nil
    }

    /// Writes `blocks` out.
    func write(_ blocks: [MarkdownBlock]) -> RenderedText {
        var lines = lines(of: blocks, isTight: false)
        for index in lines.indices { lines[index] = lines[index].trimmingTrailingWhitespace() }
        while let first = lines.first, first.isEmpty { lines.removeFirst() }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        return resolvingFences(in: lines.joined(separator: "\n"))
    }

    // MARK: - Blocks

    private func lines(of blocks: [MarkdownBlock], isTight: Bool) -> [String] {
        var result: [String] = []
        var previous: MarkdownBlock?
        for block in blocks {
            let blockLines = lines(of: block)
            guard blockLines.contains(where: { !$0.isBlank }) else { continue }
            if let previous, !Self.joinsWithoutBlankLine(previous, block, isTight: isTight) {
                result.append("")
            }
            result.append(contentsOf: blockLines)
            previous = block
        }
        return result
    }

    /// Whether `next` follows `previous` on the next line rather than after a blank line.
    private static func joinsWithoutBlankLine(_ previous: MarkdownBlock, _ next: MarkdownBlock, isTight: Bool) -> Bool {
        switch (previous, next) {
        case (.listItem, .listItem(let item)) where !item.startsList:
            item.isTight
        case (.tableRow, .tableRow(_, isHeader: false)):
            true
        default:
            isTight
        }
    }

    private func lines(of block: MarkdownBlock) -> [String] {
        switch block {
        case .paragraph(let spans):
            return Self.paragraphLines(text(of: spans, style: []))
        case .heading(_, let spans):
            switch dialect {
            case .plain:
                return Self.paragraphLines(text(of: spans, style: []))
            case .whatsApp:
                return Self.paragraphLines(text(of: spans, style: [.bold])).map { Self.wrap($0, in: "*") }
            }
        case .listItem(let item):
            return lines(of: item)
        case .quote(let blocks):
            return lines(of: blocks, isTight: false).map { $0.isBlank ? ">" : "> " + $0 }
        case .codeBlock(let code):
            var codeLines = LineText.lines(of: code).map(String.init)
            while let first = codeLines.first, first.isBlank { codeLines.removeFirst() }
            while let last = codeLines.last, last.isBlank { codeLines.removeLast() }
            guard !codeLines.isEmpty else { return [] }
            switch dialect {
            case .plain:
                return codeLines
            case .whatsApp:
                return [String(Self.openFenceSentinel)] + codeLines + [String(Self.closeFenceSentinel)]
            }
        case .tableRow(let cells, _):
            let texts = cells.map { cell -> String in
                let cellText = text(of: cell, style: [])
                let words = Self.containsNewline(cellText)
                    ? cellText.split(whereSeparator: \.isNewline).joined(separator: " ") : cellText
                let trimmed = words.trimmingWhitespace()
                return trimmed.isEmpty ? "—" : trimmed
            }
            return [texts.joined(separator: " · ")]
        case .thematicBreak:
            return ["———"]
        }
    }

    /// Whether `text` may hold a `Character` that `isNewline` (LF, VT, FF, CR, NEL, U+2028,
    /// U+2029), read from its UTF-8 bytes; when not, splitting it at newlines leaves it whole.
    static func containsNewline(_ text: String) -> Bool {
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if (0x0A...0x0D).contains(byte) || (previous == 0xC2 && byte == 0x85)
                || (previous == 0x80 && (byte == 0xA8 || byte == 0xA9)) {
                return true
            }
            previous = byte
        }
        return false
    }

    private func lines(of item: MarkdownBlock.ListItem) -> [String] {
        var marker: String
        switch item.marker {
        case .bullet: marker = item.task == nil ? "• " : ""
        case .ordered(let number): marker = "\(number). "
        }
        if let checked = item.task { marker += checked ? "☑ " : "☐ " }
        let content = lines(of: item.blocks, isTight: item.isTight)
        guard let first = content.first else { return [marker.trimmingTrailingWhitespace()] }
        return [marker + first] + content.dropFirst().map { $0.isBlank ? "" : "  " + $0 }
    }

    /// A paragraph's text as lines: trailing whitespace trimmed, no blank lines at either end and
    /// never two in a row.
    private static func paragraphLines(_ text: String) -> [String] {
        var lines: [String] = []
        for line in LineText.lines(of: text) {
            let trimmed = line.trimmingTrailingWhitespace()
            if trimmed.isEmpty, lines.last?.isEmpty ?? true { continue }
            lines.append(trimmed)
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    // MARK: - Inlines

    /// The WhatsApp styles already open around a span, so nested spans do not repeat them.
    private struct InlineStyle: OptionSet, Sendable {
        let rawValue: UInt8
        static let bold = InlineStyle(rawValue: 1)
        static let italic = InlineStyle(rawValue: 2)
        static let strike = InlineStyle(rawValue: 4)
    }

    private func text(of spans: [MarkdownInline], style: InlineStyle) -> String {
        if spans.count == 1 { return text(of: spans[0], style: style) }
        var result = ""
        for span in spans { result += text(of: span, style: style) }
        return result
    }

    private func text(of span: MarkdownInline, style: InlineStyle) -> String {
        switch span {
        case .text(let text):
            return text
        case .lineBreak:
            return "\n"
        case .code(let code):
            switch dialect {
            case .plain: return code
            case .whatsApp: return Self.wrap(code, in: RenderedText.fenceMarker)
            }
        case .emphasis(let children):
            return styled(children, style: style, adding: .italic, marker: "_")
        case .strong(let children):
            return styled(children, style: style, adding: .bold, marker: "*")
        case .strikethrough(let children):
            return styled(children, style: style, adding: .strike, marker: "~")
        case .link(let url, let children, _):
            return Self.linkText(text(of: children, style: style), url: url)
        }
    }

    private func styled(_ children: [MarkdownInline], style: InlineStyle, adding added: InlineStyle, marker: String) -> String {
        switch dialect {
        case .plain:
            return text(of: children, style: style)
        case .whatsApp:
            let inner = text(of: children, style: style.union(added))
            return style.contains(added) ? inner : Self.wrap(inner, in: marker)
        }
    }

    /// `marker` + `text` + `marker`, with whitespace at either end of `text` moved outside the
    /// markers (WhatsApp ignores `* bold*`); empty text stays empty.
    static func wrap(_ text: String, in marker: String) -> String {
        let start: String.Index
        let end: String.Index
        if let leadingEnd = LineText.leadingWhitespaceEnd(of: text[...]),
           let trailingStart = LineText.trailingWhitespaceStart(of: text[...]) {
            guard leadingEnd < trailingStart else { return text }
            (start, end) = (leadingEnd, trailingStart)
        } else {
            guard let first = text.firstIndex(where: { !$0.isWhitespace }),
                  let last = text.lastIndex(where: { !$0.isWhitespace }) else { return text }
            (start, end) = (first, text.index(after: last))
        }
        var wrapped = ""
        wrapped.reserveCapacity(text.utf8.count + 2 * marker.utf8.count)
        wrapped += text[..<start]
        wrapped += marker
        wrapped += text[start..<end]
        wrapped += marker
        wrapped += text[end...]
        return wrapped
    }

    /// How a link or image reads: `text (url)`, or just the URL when the text says the same.
    static func linkText(_ text: String, url: String) -> String {
        let label = text.trimmingWhitespace()
        guard !url.isEmpty else { return text }
        var shown = url
        if url.lowercased().hasPrefix("mailto:") {
            shown = String(url.dropFirst("mailto:".count))
        }
        if label.isEmpty || label == url || label == shown { return shown }
        if normalizedTarget(label) == normalizedTarget(url) { return label }
        return "\(label) (\(shown))"
    }

    /// `url` without an `http(s)://` scheme and a trailing `/`, lower-cased, for comparing a link's
    /// text with its target.
    private static func normalizedTarget(_ url: String) -> String {
        var target = Substring(url.lowercased())
        for scheme in ["https://", "http://"] where target.hasPrefix(scheme) {
            target = target.dropFirst(scheme.count)
        }
        if target.hasSuffix("/") { target = target.dropLast() }
        return String(target)
    }

    // MARK: - Fences

    /// Replaces the fence sentinels with ```` ``` ```` and records where they are (UTF-8 offsets
    /// in the result). Works on the UTF-8 bytes: each sentinel is three bytes, as is the marker.
    private func resolvingFences(in text: String) -> RenderedText {
        guard dialect == .whatsApp else { return RenderedText(text: text) }
        var source = text
        return source.withUTF8 { bytes -> RenderedText in
            guard var sentinel = Self.reservedScalarOffset(in: bytes, from: 0) else { return RenderedText(text: text) }
            var output = [UInt8](bytes)
            var fences: [RenderedText.Fence] = []
            var openOffset = 0
            while true {
                // A sentinel and the marker have the same length, so offsets do not move.
                if bytes[sentinel + 2] == 0x90 {
                    openOffset = sentinel
                } else {
                    fences.append(.init(open: openOffset, close: sentinel))
                }
                output[sentinel] = UInt8(ascii: "`")
                output[sentinel + 1] = UInt8(ascii: "`")
                output[sentinel + 2] = UInt8(ascii: "`")
                guard let next = Self.reservedScalarOffset(in: bytes, from: sentinel + 3) else { break }
                sentinel = next
            }
            return RenderedText(text: String(decoding: output, as: UTF8.self), fences: fences)
        }
    }
}
