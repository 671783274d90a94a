import Testing
@testable import ChannelKit
@testable import ChannelRendering

/// Helpers shared by the rendering tests, in a namespace so they cannot clash with other tests.
enum RenderingTestSupport {
    /// SplitMix64: a tiny seeded generator, so every random case reproduces.
    struct SplitMix64: RandomNumberGenerator {
        private var state: UInt64

        init(seed: UInt64) { state = seed }

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        mutating func int(in range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

        mutating func pick<T>(_ values: [T]) -> T { values[int(in: 0...(values.count - 1))] }

        /// A random lower-case ASCII word.
        mutating func word(length: Int? = nil) -> String {
            let count = length ?? int(in: 1...10)
            return String((0..<count).map { _ in Character(Unicode.Scalar(UInt8(int(in: 97...122)))) })
        }

        /// `count` random words separated by spaces.
        mutating func words(_ count: Int) -> String {
            (0..<count).map { _ in word() }.joined(separator: " ")
        }
    }

    /// `text` without any whitespace, for comparing content across cuts.
    static func withoutWhitespace(_ text: String) -> String { String(text.filter { !$0.isWhitespace }) }

    /// `text` without leading and trailing whitespace.
    static func trimmed(_ text: String) -> String {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
              let last = text.lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(text[first...last])
    }

    /// `text` without the lines that are exactly a code fence.
    static func withoutFenceLines(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).filter { $0 != "```" }.joined(separator: "\n")
    }
}

@Suite("TextSplitter")
struct TextSplitterTests {
    typealias SplitMix64 = RenderingTestSupport.SplitMix64

    static func bytes(_ maximum: Int) -> TextLimit { TextLimit(maximum: maximum, unit: .utf8Bytes) }

    // MARK: - Basics

    @Test func textThatFitsIsOnePartTrimmed() {
        #expect(TextSplitter.split("Hello there.", limit: Self.bytes(12)) == ["Hello there."])
        #expect(TextSplitter.split("\n  Hello there.  \n\n", limit: Self.bytes(12)) == ["Hello there."])
        #expect(TextSplitter.split("a\n\nb", limit: Self.bytes(1000)) == ["a\n\nb"])
    }

    @Test func emptyAndWhitespaceOnlyGiveNoParts() {
        #expect(TextSplitter.split("", limit: Self.bytes(10)) == [])
        #expect(TextSplitter.split(" \n\t\r\n \u{3000}", limit: Self.bytes(1)) == [])
    }

    // MARK: - Break preferences

    @Test func splitsExactlyBetweenParagraphs() {
        let first = "The first paragraph. It has two sentences and fits alone."
        let second = "The second paragraph also fits alone, but not with the first one."
        let limit = Self.bytes(max(first.utf8.count, second.utf8.count) + 10)
        #expect(TextSplitter.split(first + "\n\n" + second, limit: limit) == [first, second])
        #expect(TextSplitter.split(first + "\n \n\n" + second, limit: limit) == [first, second])
    }

    @Test func packsSeveralParagraphsPerPart() {
        let paragraphs = (1...6).map { "Paragraph number \($0) is here." }
        let length = paragraphs[0].utf8.count
        let text = paragraphs.joined(separator: "\n\n")
        let parts = TextSplitter.split(text, limit: Self.bytes(length * 3 + 4))
        #expect(parts == [paragraphs[0..<3].joined(separator: "\n\n"), paragraphs[3..<6].joined(separator: "\n\n")])
    }

    @Test func prefersABlankLineOverLaterLineAndSentenceBreaks() {
        let text = "Short intro.\n\nLine one of two. Still line one.\nLine two is the end of this text."
        #expect(TextSplitter.split(text, limit: Self.bytes(60)) == [
            "Short intro.", "Line one of two. Still line one.", "Line two is the end of this text.",
        ])
    }

    @Test func prefersLineBreaksOverSentences() {
        let text = "First line. With two sentences\nSecond line. Also two sentences."
        #expect(TextSplitter.split(text, limit: Self.bytes(40)) == [
            "First line. With two sentences", "Second line. Also two sentences.",
        ])
    }

    @Test func prefersSentenceEndsOverWords() {
        let text = "This is one sentence. This is another sentence that goes on and on."
        #expect(TextSplitter.split(text, limit: Self.bytes(40)) == [
            "This is one sentence.", "This is another sentence that goes on", "and on.",
        ])
        #expect(TextSplitter.split("Really? Yes! Sure. \"Quoted.\" Done here", limit: Self.bytes(32)) == [
            "Really? Yes! Sure. \"Quoted.\"", "Done here",
        ])
    }

    @Test func splitsCJKAfterSentencePunctuation() {
        let text = "今天天气很好。我们去公园吧！好的，走吧。"
        #expect(TextSplitter.split(text, limit: TextLimit(maximum: 10, unit: .characters)) == [
            "今天天气很好。", "我们去公园吧！", "好的，走吧。",
        ])
        #expect(TextSplitter.split(text, limit: Self.bytes(45)) == ["今天天气很好。我们去公园吧！", "好的，走吧。"])
    }

    @Test func prefersWhitespaceBetweenWords() {
        #expect(TextSplitter.split("alpha beta gamma delta", limit: Self.bytes(12)) == ["alpha beta", "gamma delta"])
        #expect(TextSplitter.split("alpha   beta\tgamma", limit: Self.bytes(10)) == ["alpha", "beta\tgamma"])
    }

    @Test func cutsLongWordsBetweenGraphemes() {
        #expect(TextSplitter.split("abcdefghij", limit: Self.bytes(4)) == ["abcd", "efgh", "ij"])
        #expect(TextSplitter.split("ab abcdefghij", limit: Self.bytes(6)) == ["ab", "abcdef", "ghij"])
    }

    // MARK: - Grapheme clusters

    @Test func neverCutsInsideAGraphemeCluster() {
        let family = "👨‍👩‍👧‍👦"  // 25 bytes, one character
        #expect(TextSplitter.split(family + family, limit: Self.bytes(30)) == [family, family])
        #expect(TextSplitter.split("🇫🇷🇩🇪🇯🇵", limit: Self.bytes(9)) == ["🇫🇷", "🇩🇪", "🇯🇵"])
        #expect(TextSplitter.split("👍🏽👍🏽👍🏽", limit: Self.bytes(10)) == ["👍🏽", "👍🏽", "👍🏽"])
        #expect(TextSplitter.split("e\u{301}e\u{301}e\u{301}", limit: Self.bytes(7)) == ["e\u{301}e\u{301}", "e\u{301}"])
        #expect(TextSplitter.split("x\u{301}\u{302}\u{303}y", limit: TextLimit(maximum: 4, unit: .unicodeScalars))
                == ["x\u{301}\u{302}\u{303}", "y"])
    }

    @Test func aClusterWiderThanTheLimitGoesOutAsScalars() {
        let family = "👨‍👩‍👧‍👦"
        let parts = TextSplitter.split("a " + family, limit: Self.bytes(8))
        #expect(parts.allSatisfy { $0.utf8.count <= 8 && !$0.isEmpty })
        #expect(parts.first == "a")
        #expect(String(parts.dropFirst().joined()) == family)
    }

    @Test func measuresInEveryUnit() {
        let text = "😀😀 😀😀 😀😀"
        #expect(TextSplitter.split(text, limit: TextLimit(maximum: 5, unit: .characters)) == ["😀😀 😀😀", "😀😀"])
        #expect(TextSplitter.split(text, limit: TextLimit(maximum: 5, unit: .unicodeScalars)) == ["😀😀 😀😀", "😀😀"])
        #expect(TextSplitter.split(text, limit: TextLimit(maximum: 9, unit: .utf16CodeUnits)) == ["😀😀 😀😀", "😀😀"])
        #expect(TextSplitter.split(text, limit: TextLimit(maximum: 8, unit: .utf8Bytes)) == ["😀😀", "😀😀", "😀😀"])
    }

    @Test func trimsWhitespaceOnlyAtCuts() {
        let text = "one  two\tthree\n\n\n  four   five"
        let parts = TextSplitter.split(text, limit: Self.bytes(14))
        #expect(parts == ["one  two\tthree", "four   five"])
    }

    // MARK: - Properties

    /// Pieces the random texts are made of.
    static let emoji = ["👨‍👩‍👧‍👦", "🇫🇷", "🇯🇵", "👍🏽", "😀", "❤️", "🧑🏿‍🚀", "e\u{301}", "n\u{303}a\u{308}\u{301}"]
    static let cjk = ["今天天气很好", "我们去公园吧", "日本語のテキスト", "한국어 문장"]

    static func randomText(_ random: inout SplitMix64) -> String {
        var text = ""
        let tokens = random.int(in: 0...random.pick([5, 40, 150, 400]))
        for _ in 0..<tokens {
            switch random.int(in: 0...99) {
            case 0..<40: text += random.word()
            case 40..<55: text += " "
            case 55..<60: text += random.pick([". ", "! ", "? ", "… ", ".\" "])
            case 60..<65: text += "\n"
            case 65..<68: text += random.pick(["\n\n", "\n \n", "\r\n\r\n", "\n\n\n"])
            case 68..<75: text += random.pick(cjk) + random.pick(["。", "！", "？", "，", ""])
            case 75..<85: text += random.pick(emoji)
            case 85..<88: text += random.word(length: random.int(in: 20...random.pick([60, 300, 1200])))
            case 88..<90: text += random.pick(["\t", "\u{A0}", "\u{3000}", "\u{2028}", " \t "])
            case 90..<91: text += "Z" + String(repeating: "\u{301}\u{300}", count: random.int(in: 1...40))
            default: text += random.words(random.int(in: 1...6)) + random.pick([".", "!", "?", ","])
            }
        }
        return text
    }

    static func randomLimit(_ random: inout SplitMix64) -> TextLimit {
        switch random.int(in: 0...10) {
        case 0..<6: TextLimit(maximum: random.int(in: 8...1000), unit: .utf8Bytes)
        case 6..<8: TextLimit(maximum: random.int(in: 1...400), unit: .characters)
        case 8: TextLimit(maximum: random.int(in: 4...500), unit: .unicodeScalars)
        case 9: TextLimit(maximum: random.int(in: 4...500), unit: .utf16CodeUnits)
        default: TextLimit(maximum: random.int(in: 4...500), units: [.unicodeScalars, .utf16CodeUnits])   // WhatsApp's
        }
    }

    @Test func randomTextsSatisfyEveryInvariant() {
        var random = SplitMix64(seed: 20_240_601)
        var split = 0
        for iteration in 0..<3000 {
            let text = Self.randomText(&random)
            let limit = Self.randomLimit(&random)
            let parts = TextSplitter.split(text, limit: limit)
            let context: Comment = "iteration \(iteration), limit \(limit.maximum) \(limit.units)"

            let content = Array(text).filter { !$0.isWhitespace }
            if content.isEmpty {
                #expect(parts.isEmpty, context)
                continue
            }
            let trimmed = RenderingTestSupport.trimmed(text)
            if limit.fits(trimmed) {
                #expect(parts == [trimmed], context)
                continue
            }
            split += 1
            #expect(parts.count > 1, context)
            for part in parts {
                #expect(limit.fits(part), "\(context): part of length \(limit.length(of: part))")
                #expect(!part.isEmpty && !part.allSatisfy(\.isWhitespace), context)
                #expect(part.first?.isWhitespace == false && part.last?.isWhitespace == false, context)
            }
            let everyClusterFits = text.allSatisfy { limit.fits(String($0)) }
            if everyClusterFits {
                // Part by part, so a cluster cut in two would show up as different characters.
                let partContent = parts.flatMap { Array($0) }.filter { !$0.isWhitespace }
                #expect(partContent == content, context)
            } else {
                #expect(Array(parts.joined()).filter { !$0.isWhitespace } == content, context)
                #expect(Array(parts.joined().unicodeScalars).filter { !$0.properties.isWhitespace }
                        == Array(text.unicodeScalars).filter { !$0.properties.isWhitespace }, context)
            }
        }
        #expect(split > 1000)
    }

    @Test func randomTextsOfOneBreakKindArePackedGreedily() {
        var random = SplitMix64(seed: 99)
        for iteration in 0..<1000 {
            let limit = Self.randomLimit(&random)
            let context: Comment = "iteration \(iteration), limit \(limit.maximum) \(limit.units)"
            if random.int(in: 0...1) == 0 {
                // Words (each fitting the limit) and single spaces: every cut is at a space, and
                // each part ends where the next word would not fit.
                let words = (0..<random.int(in: 1...400)).map { _ in
                    random.int(in: 0...5) == 0 ? random.pick(Self.emoji) : random.word()
                }.filter { limit.fits($0) }
                let parts = TextSplitter.split(words.joined(separator: " "), limit: limit)
                #expect(parts.joined(separator: " ") == words.joined(separator: " "), context)
                for (part, next) in zip(parts, parts.dropFirst()) {
                    let nextWord = next.prefix { $0 != " " }
                    #expect(!limit.fits(part + " " + nextWord), context)
                }
            } else {
                // No whitespace at all: each part ends where the next character would not fit.
                let text = (0..<random.int(in: 1...600)).map { _ in
                    random.int(in: 0...3) == 0 ? random.pick(Self.emoji) : random.word(length: 1)
                }.joined()
                let parts = TextSplitter.split(text, limit: limit)
                #expect(parts.joined() == text, context)
                for (part, next) in zip(parts, parts.dropFirst()) {
                    #expect(!limit.fits(part + String(next.first!)), context)
                }
            }
        }
    }

    @Test func largeInputsSplitInNearLinearTime() {
        var random = SplitMix64(seed: 7)
        var text = ""
        while text.utf8.count < 200_000 { text += random.words(12) + random.pick([". ", "\n", "\n\n", " 😀 "]) }
        let noSpaces = String(repeating: "abc👍🏽", count: 20_000)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            #expect(TextSplitter.split(text, limit: Self.bytes(1000)).allSatisfy { $0.utf8.count <= 1000 })
            #expect(TextSplitter.split(noSpaces, limit: Self.bytes(8)).allSatisfy { $0.utf8.count <= 8 })
        }
        #expect(elapsed < .seconds(20))
    }
}
