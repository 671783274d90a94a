import ChannelKit
import Testing
@testable import ChannelRendering

/// The splitter's byte-level element scan and the dialect writer's byte-level shortcuts give
/// exactly what the `String`, `Character` and `Unicode.Scalar.Properties` operations they replace
/// give: elements are the text's grapheme clusters with their widths in every unit, on texts
/// made of emoji ZWJ sequences, flags, skin tones, combining marks, `\r\n`, no-break and
/// ideographic spaces, CJK, Arabic and Hangul.
@Suite("Split elements")
struct SplitElementsTests {
    typealias SplitMix64 = RenderingTestSupport.SplitMix64

    /// Pieces random texts are made of: every kind of cluster the fast paths must tell apart.
    static let pieces: [String] = [
        "a", "Z", ".", "!", "?", ")", "\"", " ", "\t", "\n", "\r\n", "\r", "\u{0B}", "\u{85}",
        "\u{00A0}", "\u{3000}", "\u{2028}", "\u{0301}", "e\u{0301}", "é", "ß", "€", "—", "…", "’",
        "日本", "。", "！", "こんにちは", "\u{3099}", "привет", "\u{0483}", "مرحبا", "\u{064B}", "\u{0600}",
        "γειά", "한국어", "\u{1100}\u{1161}", "\u{11A8}", "ｱ", "\u{FF9E}", "Việt",
        "👍🏽", "👨‍👩‍👧‍👦", "🇵🇹", "🇵", "✈️", "☐", "\u{200D}", "\u{FE0F}", "x\u{20DD}", "𝄞",
        "word", "line end  ",
    ]

    static func randomText(_ generator: inout SplitMix64) -> String {
        (0..<generator.int(in: 0...12)).map { _ in generator.pick(pieces) }.joined()
    }

    static let limits: [TextLimit] = [
        TextLimit(maximum: 1_000, unit: .utf8Bytes),
        TextLimit(maximum: 4_096, units: [.unicodeScalars, .utf16CodeUnits]),
        TextLimit(maximum: 3, unit: .utf8Bytes),
        TextLimit(maximum: 4, units: [.unicodeScalars, .utf16CodeUnits]),
        TextLimit(maximum: 5, unit: .characters),
        TextLimit(maximum: 6, units: [.utf8Bytes, .characters]),
    ]

    @Test("elements are the grapheme clusters (or, when too wide, their scalars) with their widths, on 5,000 random texts")
    func elementsAreClustersWithTheirWidths() {
        var generator = SplitMix64(seed: 0xE1E_3E47)
        var checked = 0
        for _ in 0..<5_000 {
            let text = Self.randomText(&generator)
            let limit = generator.pick(Self.limits)
            let elements = SplitEngine.Elements(text: text, limit: limit, fences: [])
            // The reference: every Character, cut into its scalars when wider than the limit.
            var expected: [Substring] = []
            for index in text.indices {
                let cluster = text[index..<text.index(after: index)]
                if cluster.unicodeScalars.count > 1, limit.length(of: cluster) > limit.maximum {
                    var scalarIndex = cluster.startIndex
                    while scalarIndex < cluster.endIndex {
                        let next = cluster.unicodeScalars.index(after: scalarIndex)
                        expected.append(cluster[scalarIndex..<next])
                        scalarIndex = next
                    }
                } else {
                    expected.append(cluster)
                }
            }
            #expect(elements.count == expected.count, "elements of \(text.debugDescription)")
            guard elements.count == expected.count else { continue }
            for (element, reference) in expected.enumerated() {
                #expect(elements.text(from: element, to: element + 1) == String(reference))
            }
            // Widths of random runs, against the limit's own measure.
            for _ in 0..<4 where !expected.isEmpty {
                let start = generator.int(in: 0...expected.count)
                let end = generator.int(in: start...expected.count)
                let run = expected[start..<end].joined()
                let measured = limit.units.contains(.characters) && expected.count != text.count
                    ? nil : limit.length(of: run)
                if let measured {
                    #expect(elements.width(from: start, to: end) == measured, "width of \(run.debugDescription) in \(limit.units)")
                    checked += 1
                }
            }
        }
        #expect(checked > 10_000)
    }

    @Test("the flags of an ASCII byte are those of its scalar")
    func asciiFlags() {
        for byte in UInt8(0)..<0x80 {
            #expect(SplitEngine.Elements.asciiFlagsOf(byte) == SplitEngine.Elements.flags(of: Unicode.Scalar(byte), isSingleScalar: true))
        }
    }

    @Test("non-ASCII whitespace is the White_Space property, for every scalar")
    func nonASCIIWhitespace() {
        for value in UInt32(0x80)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            #expect(SplitEngine.Elements.isNonASCIIWhitespace(scalar) == scalar.properties.isWhitespace, "U+\(String(value, radix: 16))")
        }
    }

    @Test("scalars that always break when paired are grapheme clusters of their own beside each other")
    func alwaysBreaksWhenPaired() {
        let ranges: [ClosedRange<UInt32>] = [0x0000...0x02FF, 0x0391...0x03C9, 0x0400...0x0482, 0x0621...0x064A,
                                             0x1E00...0x1EFF, 0x2010...0x2029, 0x20A0...0x20C0, 0x3000...0x3029,
                                             0x3041...0x3096, 0x30A1...0x30FA, 0x3400...0x4DBF, 0x4E00...0x9FFF,
                                             0xAC00...0xD7A3, 0xFF01...0xFF9D]
        let scalars = ranges.flatMap { range in stride(from: range.lowerBound, through: range.upperBound, by: 5).compactMap(Unicode.Scalar.init) }
            + ranges.flatMap { [$0.lowerBound, $0.upperBound].compactMap(Unicode.Scalar.init) }
        let partners = ranges.flatMap { range in [range.lowerBound, range.upperBound, (range.lowerBound + range.upperBound) / 2] }
            .compactMap(Unicode.Scalar.init) + ["\r", "\n", " ", "a"]
        for first in scalars {
            #expect(SplitEngine.Elements.alwaysBreaksWhenPaired(first))
            for second in partners where !(first == "\r" && second == "\n") {
                var pair = String.UnicodeScalarView()
                pair.append(first)
                pair.append(second)
                #expect(String(pair).count == 2, "U+\(String(first.value, radix: 16)) U+\(String(second.value, radix: 16))")
                var reversed = String.UnicodeScalarView()
                reversed.append(second)
                reversed.append(first)
                #expect(String(reversed).count == 2 || (second == "\r" && first == "\n"))
            }
        }
        // Marks and joiners are outside: they extend the cluster before them.
        for mark: Unicode.Scalar in ["\u{0301}", "\u{200D}", "\u{3099}", "\u{FF9E}", "\u{064B}", "\u{0483}", "\u{11A8}", "\u{1F1F5}"] {
            #expect(!SplitEngine.Elements.alwaysBreaksWhenPaired(mark))
        }
    }

    @Test("newline detection on bytes misses no newline character")
    func newlineDetection() {
        var generator = SplitMix64(seed: 0x0E71_1E)
        for _ in 0..<5_000 {
            let text = Self.randomText(&generator)
            if text.contains(where: \.isNewline) {
                #expect(DialectWriter.containsNewline(text), "\(text.debugDescription)")
            }
        }
        #expect(!DialectWriter.containsNewline("Português · estação 日本 👍🏽"))
        #expect(DialectWriter.containsNewline("a\u{2029}b"))
        #expect(DialectWriter.containsNewline("a\u{85}b"))
    }

    @Test("WhatsApp fences are found at the bytes of their markers, after non-ASCII text")
    func whatsAppFenceOffsets() {
        let markdown = "Café 👨‍👩‍👧‍👦 — *menu*:\n\n```\nlet price = \"2 €\"\n```\n\nFin 日本。\n\n```\nb\n```"
        let rendered = MarkdownRenderer().rendered(markdown, formatting: .whatsapp)
        #expect(rendered.fences.count == 2)
        #expect(rendered.fences == RenderedText(locatingFencesIn: rendered.text).fences)
        let bytes = Array(rendered.text.utf8)
        for fence in rendered.fences {
            #expect(Array(bytes[fence.open..<fence.open + 3]) == Array("```".utf8))
            #expect(Array(bytes[fence.close..<fence.close + 3]) == Array("```".utf8))
        }
        #expect(!rendered.text.unicodeScalars.contains(where: DialectWriter.isReservedScalar))
    }

    @Test("a code block cut in two is closed and reopened, with non-ASCII text and emoji at the cuts")
    func codeBlockCutWithNonASCII() {
        let code = (1...12).map { "línea \($0) 👍🏽 日本" }.joined(separator: "\n")
        let markdown = "Intro é\n\n```\n\(code)\n```\n\nOutro 👨‍👩‍👧‍👦"
        let limit = TextLimit(maximum: 80, units: [.unicodeScalars, .utf16CodeUnits])
        let profile = ChannelProfile(formatting: .whatsapp, textLimit: limit)
        let parts = MarkdownRenderer().render(markdown, for: profile)
        #expect(parts.count > 2)
        for part in parts {
            #expect(limit.fits(part))
            // Every part holds whole fences: an even number of marker lines.
            let fenceLines = part.split(separator: "\n").filter { $0 == "```" }.count
            #expect(fenceLines % 2 == 0, "\(part.debugDescription)")
        }
        let codeLines = parts.flatMap { $0.split(separator: "\n") }.filter { $0.hasPrefix("línea") }
        #expect(codeLines.map(String.init) == code.split(separator: "\n").map(String.init))
    }

    @Test("markers wrap what whitespace they find, ASCII or not, as Character would")
    func wrapAgreesWithCharacter() {
        var generator = SplitMix64(seed: 0x3A9)
        for _ in 0..<5_000 {
            let text = Self.randomText(&generator)
            let expected: String
            if let first = text.firstIndex(where: { !$0.isWhitespace }), let last = text.lastIndex(where: { !$0.isWhitespace }) {
                expected = String(text[..<first]) + "*" + String(text[first...last]) + "*" + String(text[text.index(after: last)...])
            } else {
                expected = text
            }
            #expect(DialectWriter.wrap(text, in: "*") == expected, "\(text.debugDescription)")
        }
    }
}
