import Testing
@testable import ChannelRendering

/// The renderer's byte-level line and whitespace operations give exactly what the `Character`
/// operations they replace give, on texts made to sit on every edge: `\r\n`, no-break and
/// ideographic spaces, combining marks after spaces and letters, emoji with modifiers, and
/// lone separators.
@Suite("LineText")
struct LineTextTests {
    typealias SplitMix64 = RenderingTestSupport.SplitMix64

    /// Pieces random texts are made of.
    static let pieces: [String] = [
        "a", "Z", "7", ".", "*", " ", "  ", "\t", "\n", "\n\n", "\r\n", "\r", "\u{0B}", "\u{0C}",
        "\u{00A0}", "\u{3000}", "\u{2028}", "\u{0085}", "\u{0301}", " \u{0301}", "e\u{0301}", "é", "ü",
        "日本", "👍🏽", "👨‍👩‍👧", "\u{0600}1", "\u{200D}", "word", "line end  ",
    ]

    static func randomText(_ generator: inout SplitMix64) -> String {
        let count = Int(generator.next() % 9)
        return (0..<count).map { _ in pieces[Int(generator.next() % UInt64(pieces.count))] }.joined()
    }

    @Test("lines, blank and trimming agree with Character on 20,000 random texts")
    func agreesWithCharacter() {
        var generator = SplitMix64(seed: 0x5EED_1234)
        var fastPaths = 0
        for _ in 0..<20_000 {
            let text = Self.randomText(&generator)
            let expectedLines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(LineText.lines(of: text).map(String.init) == expectedLines, "lines of \(text.debugDescription)")
            #expect(text.isBlank == text.allSatisfy(\.isWhitespace), "blank: \(text.debugDescription)")
            let trailing = text.lastIndex(where: { !$0.isWhitespace }).map { String(text[...$0]) } ?? ""
            #expect(text.trimmingTrailingWhitespace() == trailing, "trailing trim of \(text.debugDescription)")
            let both: String
            if let first = text.firstIndex(where: { !$0.isWhitespace }), let last = text.lastIndex(where: { !$0.isWhitespace }) {
                both = String(text[first...last])
            } else {
                both = ""
            }
            #expect(text.trimmingWhitespace() == both, "trim of \(text.debugDescription)")
            if LineText.trailingWhitespaceStart(of: text[...]) != nil { fastPaths += 1 }
        }
        // The byte path, not only the fallback, was exercised.
        #expect(fastPaths > 5_000)
    }

    @Test("a space followed by a combining mark is one whitespace character, trimmed whole")
    func combiningMarkAfterSpace() {
        #expect("word \u{0301}".trimmingTrailingWhitespace() == "word")
        #expect(" \u{0301}word".trimmingWhitespace() == "word")
        #expect(!"x\u{00A0}".isBlank)
        #expect("\u{00A0}\u{3000} ".isBlank)
        #expect(LineText.lines(of: "a\r\nb\nc").map(String.init) == ["a\r\nb", "c"])
    }
}
