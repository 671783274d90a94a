import ChannelKit
/// Turns raw HTML from Markdown into text a reader can see: tags never leak.
///
/// Inline HTML is handled span by span (``isLineBreakTag(_:)``: `<br>` becomes a line break, every
/// other tag vanishes and the text between tags stays). HTML blocks go through
/// ``lines(ofHTML:)``: tags are stripped, block-level tags end a line, comments, `<script>` and
/// `<style>` vanish with their content, and entities are decoded.
enum HTMLText {
    /// Tags that start or end a line of text.
    private static let lineTags: Set<String> = [
        "address", "article", "aside", "blockquote", "br", "caption", "center", "dd", "details", "dialog",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hr", "legend", "li", "main", "nav", "ol", "p", "pre", "section",
        "summary", "table", "tbody", "tfoot", "thead", "tr", "ul",
    ]

    /// Tags whose content is not text for a reader.
    private static let hiddenContentTags: Set<String> = ["script", "style", "template", "head", "title"]

    /// Whether one inline HTML tag is a line break (`<br>`, `<br/>`, `<br />`, any case).
    static func isLineBreakTag(_ html: String) -> Bool {
        guard let tag = scanTag(Array(html.unicodeScalars), at: 0) else { return false }
        return tag.name == "br"
    }

    /// The visible text of an HTML block, as trimmed, non-empty lines with entities decoded and
    /// runs of spaces collapsed.
    static func lines(ofHTML html: String) -> [String] {
        let scalars = Array(html.unicodeScalars)
        var text = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            guard scalars[index] == "<", let tag = scanTag(scalars, at: index) else {
                text.append(scalars[index])
                index += 1
                continue
            }
            index = tag.end
            if !tag.isClosing, hiddenContentTags.contains(tag.name) {
                index = endOfElement(named: tag.name, in: scalars, from: index)
            } else if lineTags.contains(tag.name) {
                text.append("\n")
            } else if tag.name == "td" || tag.name == "th" {
                text.append(" ")
            }
        }
        var lines: [String] = []
        for line in String(text).split(whereSeparator: \.isNewline) {
            let words = line.split(whereSeparator: \.isWhitespace)
            if !words.isEmpty { lines.append(words.joined(separator: " ")) }
        }
        return MarkdownParser.decodeEntities(in: lines)
    }

    /// A tag found by ``scanTag(_:at:)``.
    private struct Tag {
        /// The lower-cased tag name (`"!--"` for a comment, `"!"` / `"?"` for declarations).
        var name: String
        /// Whether it is a closing tag (`</p>`).
        var isClosing: Bool
        /// The index just past the tag's `>`.
        var end: Int
    }

    /// Reads a tag, comment or declaration starting with the `<` at `start`; `nil` when the `<` does
    /// not start one (then it is literal text).
    private static func scanTag(_ scalars: [Unicode.Scalar], at start: Int) -> Tag? {
        guard start < scalars.count, scalars[start] == "<", start + 1 < scalars.count else { return nil }
        if hasPrefix("<!--", scalars, at: start) {
            guard let close = firstIndex(of: "-->", in: scalars, from: start + 4) else { return nil }
            return Tag(name: "!--", isClosing: false, end: close + 3)
        }
        let first = scalars[start + 1]
        if first == "!" || first == "?" {
            guard let close = scalars[(start + 2)...].firstIndex(of: ">") else { return nil }
            return Tag(name: String(first), isClosing: false, end: close + 1)
        }
        var index = start + 1
        let isClosing = first == "/"
        if isClosing { index += 1 }
        var name = ""
        while index < scalars.count, isASCIILetterOrDigit(scalars[index]) {
            name.unicodeScalars.append(scalars[index])
            index += 1
        }
        guard let initial = name.unicodeScalars.first, isASCIILetter(initial) else { return nil }
        // Attributes: skip to the `>` that is not inside a quoted value.
        var quote: Unicode.Scalar?
        while index < scalars.count {
            let scalar = scalars[index]
            if let open = quote {
                if scalar == open { quote = nil }
            } else if scalar == "\"" || scalar == "'" {
                quote = scalar
            } else if scalar == ">" {
                return Tag(name: name.lowercased(), isClosing: isClosing, end: index + 1)
            } else if scalar == "<" {
                return nil
            }
            index += 1
        }
        return nil
    }

    /// The index just past `</name>` (any case) at or after `start`, or the end of the text.
    private static func endOfElement(named name: String, in scalars: [Unicode.Scalar], from start: Int) -> Int {
        var index = start
        while let open = scalars[index...].firstIndex(of: "<") {
            if let tag = scanTag(scalars, at: open), tag.isClosing, tag.name == name { return tag.end }
            index = open + 1
        }
        return scalars.count
    }

    private static func hasPrefix(_ prefix: String, _ scalars: [Unicode.Scalar], at start: Int) -> Bool {
        let needle = Array(prefix.unicodeScalars)
        guard start + needle.count <= scalars.count else { return false }
        return Array(scalars[start..<(start + needle.count)]) == needle
    }

    private static func firstIndex(of needle: String, in scalars: [Unicode.Scalar], from start: Int) -> Int? {
        var index = start
        while index < scalars.count {
            if hasPrefix(needle, scalars, at: index) { return index }
            index += 1
        }
        return nil
    }

    private static func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    private static func isASCIILetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        isASCIILetter(scalar) || ("0"..."9").contains(scalar) || scalar == "-"
    }
}
