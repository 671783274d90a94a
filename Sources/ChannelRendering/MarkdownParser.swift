import CCmarkGFM
import ChannelKit
import Synchronization

/// Parses Markdown (CommonMark + GFM tables, strikethrough, autolinks and task lists) with
/// cmark-gfm into the renderer's intermediate form, ``MarkdownBlock`` and ``MarkdownInline``.
///
/// Thread safety: cmark-gfm keeps process-wide state that parsing mutates (extension registration,
/// and the inline parser's table of special characters, which every `cmark_parser_finish` with
/// extensions attached adds to and removes from), so the parse itself runs under one lock. Walking
/// and freeing the finished tree touch only that tree and run outside the lock.
enum MarkdownParser {
    /// Guards every call into cmark-gfm's parser; the value records whether the core extensions
    /// have been registered.
    private static let lock = Mutex<Bool>(false)

    /// The GFM extensions attached to every parser.
    private static let extensionNames = ["table", "strikethrough", "autolink", "tasklist"]

    /// Parser options: `~~double~~` tildes only for strikethrough, so a lone `~5 min` stays text.
    private static let options = CMARK_OPT_STRIKETHROUGH_DOUBLE_TILDE

    /// Containers nested deeper than this are flattened into plain text, which bounds recursion.
    static let maximumNesting = 48

    /// Parses `markdown` into blocks.
    static func parse(_ markdown: String) -> [MarkdownBlock] {
        guard let document = parseDocument(markdown) else { return [] }
        defer { cmark_node_free(document) }
        return TreeWalker().blocks(in: document, listDepth: 0, nesting: 0)
    }

    /// Decodes HTML entities (`&amp;`, `&#233;`, `&eacute;`, …) in each of `lines` exactly as
    /// cmark-gfm does in Markdown text: each line, its ASCII punctuation backslash-escaped so it can
    /// only be literal text, is parsed as its own paragraph and read back. Lines are expected to
    /// be non-empty and trimmed.
    static func decodeEntities(in lines: [String]) -> [String] {
        guard lines.contains(where: { $0.contains("&") }) else { return lines }
        let markdown = lines.map(escapingPunctuationForEntityDecoding).joined(separator: "\n\n")
        guard let document = parseDocument(markdown) else { return lines }
        defer { cmark_node_free(document) }
        var decoded: [String] = []
        var child = cmark_node_first_child(document)
        while let node = child {
            decoded.append(TreeWalker.flattenedText(of: node))
            child = cmark_node_next(node)
        }
        return decoded.count == lines.count ? decoded : lines
    }

    /// Runs cmark-gfm under the lock; the caller owns (and must free) the returned document.
    private static func parseDocument(_ markdown: String) -> OpaquePointer? {
        var source = markdown
        if DialectWriter.containsReservedScalar(source) {
            source.unicodeScalars.removeAll(where: DialectWriter.isReservedScalar)
        }
        return lock.withLock { registered -> OpaquePointer? in
            if !registered {
                cmark_gfm_core_extensions_ensure_registered()
                registered = true
            }
            guard let parser = cmark_parser_new(options) else { return nil }
            defer { cmark_parser_free(parser) }
            for name in extensionNames {
                if let syntaxExtension = cmark_find_syntax_extension(name) {
                    cmark_parser_attach_syntax_extension(parser, syntaxExtension)
                }
            }
            source.withUTF8 { bytes in
                guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
                base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    cmark_parser_feed(parser, $0, bytes.count)
                }
            }
            return cmark_parser_finish(parser)
        }
    }

    /// Backslash-escapes ASCII punctuation other than what entity references are made of (`&`,
    /// `;`, and `#` right after `&`), so the line parses as one paragraph of literal text.
    private static func escapingPunctuationForEntityDecoding(_ line: String) -> String {
        var escaped = String.UnicodeScalarView()
        var previous: Unicode.Scalar?
        for scalar in line.unicodeScalars {
            let isEntityPart = scalar == "&" || scalar == ";" || (scalar == "#" && previous == "&")
            if scalar.isASCII, scalar.properties.generalCategory.isPunctuationOrSymbol, !isEntityPart {
                escaped.append("\\")
            }
            escaped.append(scalar)
            previous = scalar
        }
        return String(escaped)
    }
}

extension Unicode.GeneralCategory {
    /// Whether the category is punctuation or a symbol (for ASCII: `!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~`).
    fileprivate var isPunctuationOrSymbol: Bool {
        switch self {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation,
             .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            true
        default:
            false
        }
    }
}

/// Converts a finished cmark-gfm tree into ``MarkdownBlock``s.
private struct TreeWalker {
    /// The blocks among `parent`'s children.
    func blocks(in parent: OpaquePointer, listDepth: Int, nesting: Int) -> [MarkdownBlock] {
        var result: [MarkdownBlock] = []
        var child = cmark_node_first_child(parent)
        while let node = child {
            appendBlocks(of: node, listDepth: listDepth, nesting: nesting, to: &result)
            child = cmark_node_next(node)
        }
        return result
    }

    private func appendBlocks(of node: OpaquePointer, listDepth: Int, nesting: Int, to result: inout [MarkdownBlock]) {
        if nesting >= MarkdownParser.maximumNesting {
            let text = Self.flattenedText(of: node)
            if !text.isEmpty { result.append(.paragraph([.text(text)])) }
            return
        }
        let type = cmark_node_get_type(node)
        switch type {
        case CMARK_NODE_PARAGRAPH:
            result.append(.paragraph(inlines(in: node, nesting: nesting + 1)))
        case CMARK_NODE_HEADING:
            result.append(.heading(level: Int(cmark_node_get_heading_level(node)), inlines(in: node, nesting: nesting + 1)))
        case CMARK_NODE_BLOCK_QUOTE:
            result.append(.quote(blocks(in: node, listDepth: listDepth, nesting: nesting + 1)))
        case CMARK_NODE_LIST:
            appendListItems(of: node, listDepth: listDepth, nesting: nesting, to: &result)
        case CMARK_NODE_CODE_BLOCK:
            var code = Self.literal(of: node)
            if code.hasSuffix("\n") { code.removeLast() }
            result.append(.codeBlock(code))
        case CMARK_NODE_HTML_BLOCK:
            let lines = HTMLText.lines(ofHTML: Self.literal(of: node))
            if !lines.isEmpty {
                var spans: [MarkdownInline] = []
                for (index, line) in lines.enumerated() {
                    if index > 0 { spans.append(.lineBreak) }
                    spans.append(.text(line))
                }
                result.append(.paragraph(spans))
            }
        case CMARK_NODE_THEMATIC_BREAK:
            result.append(.thematicBreak)
        default:
            if Self.typeString(of: node) == "table" {
                appendTableRows(of: node, nesting: nesting, to: &result)
            } else {
                // Footnote definitions, custom blocks, anything new: keep their content.
                result.append(contentsOf: blocks(in: node, listDepth: listDepth, nesting: nesting + 1))
            }
        }
    }

    private func appendListItems(of list: OpaquePointer, listDepth: Int, nesting: Int, to result: inout [MarkdownBlock]) {
        let isOrdered = cmark_node_get_list_type(list) == CMARK_ORDERED_LIST
        let isTight = cmark_node_get_list_tight(list) != 0
        var number = Int(cmark_node_get_list_start(list))
        var child = cmark_node_first_child(list)
        var isFirst = true
        while let item = child {
            let task: Bool? = Self.typeString(of: item) == "tasklist"
                ? cmark_gfm_extensions_get_tasklist_item_checked(item) : nil
            result.append(.listItem(.init(
                marker: isOrdered ? .ordered(number) : .bullet,
                task: task,
                depth: listDepth,
                isTight: isTight,
                startsList: isFirst,
                blocks: blocks(in: item, listDepth: listDepth + 1, nesting: nesting + 2)
            )))
            number += 1
            isFirst = false
            child = cmark_node_next(item)
        }
    }

    private func appendTableRows(of table: OpaquePointer, nesting: Int, to result: inout [MarkdownBlock]) {
        var row = cmark_node_first_child(table)
        while let rowNode = row {
            var cells: [[MarkdownInline]] = []
            var cell = cmark_node_first_child(rowNode)
            while let cellNode = cell {
                cells.append(inlines(in: cellNode, nesting: nesting + 2))
                cell = cmark_node_next(cellNode)
            }
            result.append(.tableRow(cells: cells, isHeader: cmark_gfm_extensions_get_table_row_is_header(rowNode) != 0))
            row = cmark_node_next(rowNode)
        }
    }

    /// The inline spans among `parent`'s children. Adjacent text is merged; where dropped HTML
    /// leaves a space on either side (`a <!-- x --> b`), one space is kept.
    private func inlines(in parent: OpaquePointer, nesting: Int) -> [MarkdownInline] {
        var spans: [MarkdownInline] = []
        var child = cmark_node_first_child(parent)
        while let node = child {
            appendInline(node, nesting: nesting, to: &spans)
            child = cmark_node_next(node)
        }
        let mergesText = spans.indices.dropFirst().contains { index in
            if case .text = spans[index], case .text = spans[index - 1] { true } else { false }
        }
        guard mergesText else { return spans }
        var result: [MarkdownInline] = []
        result.reserveCapacity(spans.count)
        for span in spans {
            if case .text(let text) = span, case .text(let previous)? = result.last {
                let joined = previous.hasSuffix(" ") && text.hasPrefix(" ") ? previous + text.dropFirst() : previous + text
                result[result.count - 1] = .text(joined)
            } else {
                result.append(span)
            }
        }
        return result
    }

    private func appendInline(_ node: OpaquePointer, nesting: Int, to result: inout [MarkdownInline]) {
        if nesting >= MarkdownParser.maximumNesting {
            result.append(.text(Self.flattenedText(of: node)))
            return
        }
        let type = cmark_node_get_type(node)
        switch type {
        case CMARK_NODE_TEXT:
            result.append(.text(Self.literal(of: node)))
        case CMARK_NODE_SOFTBREAK:
            result.append(.text(" "))
        case CMARK_NODE_LINEBREAK:
            result.append(.lineBreak)
        case CMARK_NODE_CODE:
            result.append(.code(Self.literal(of: node)))
        case CMARK_NODE_HTML_INLINE:
            if HTMLText.isLineBreakTag(Self.literal(of: node)) { result.append(.lineBreak) }
        case CMARK_NODE_EMPH:
            result.append(.emphasis(inlines(in: node, nesting: nesting + 1)))
        case CMARK_NODE_STRONG:
            result.append(.strong(inlines(in: node, nesting: nesting + 1)))
        case CMARK_NODE_LINK, CMARK_NODE_IMAGE:
            let url = cmark_node_get_url(node).map { String(cString: $0) } ?? ""
            result.append(.link(url: url, children: inlines(in: node, nesting: nesting + 1),
                                isImage: type == CMARK_NODE_IMAGE))
        default:
            if Self.typeString(of: node) == "strikethrough" {
                result.append(.strikethrough(inlines(in: node, nesting: nesting + 1)))
            } else if cmark_node_first_child(node) != nil {
                // Unknown inline containers (custom inlines, …): keep their content.
                result.append(contentsOf: inlines(in: node, nesting: nesting + 1))
            } else {
                let literal = Self.literal(of: node)
                if !literal.isEmpty { result.append(.text(literal)) }
            }
        }
    }

    /// The node's literal (text, code, HTML), or `""`.
    static func literal(of node: OpaquePointer) -> String {
        cmark_node_get_literal(node).map { String(cString: $0) } ?? ""
    }

    /// The node's type name, e.g. `"table"`, `"strikethrough"`, `"tasklist"`.
    static func typeString(of node: OpaquePointer) -> String {
        cmark_node_get_type_string(node).map { String(cString: $0) } ?? ""
    }

    /// The text of a whole subtree, without recursion: literals of text and code, a space for a
    /// soft break, a newline for a hard break or between blocks; raw HTML is skipped.
    static func flattenedText(of root: OpaquePointer) -> String {
        guard let iterator = cmark_iter_new(root) else { return "" }
        defer { cmark_iter_free(iterator) }
        var text = ""
        while case let event = cmark_iter_next(iterator), event != CMARK_EVENT_DONE {
            guard let node = cmark_iter_get_node(iterator) else { continue }
            let type = cmark_node_get_type(node)
            switch type {
            case CMARK_NODE_TEXT, CMARK_NODE_CODE, CMARK_NODE_CODE_BLOCK:
                text += literal(of: node)
            case CMARK_NODE_SOFTBREAK:
                text += " "
            case CMARK_NODE_LINEBREAK:
                text += "\n"
            default:
                let isBlock = type.rawValue & 0xc000 == 0x8000
                if isBlock, event == CMARK_EVENT_EXIT, node != root, !text.isEmpty, !text.hasSuffix("\n") {
                    text += "\n"
                }
            }
        }
        return text
    }
}
