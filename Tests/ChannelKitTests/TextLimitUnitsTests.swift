import Foundation
import Testing
@testable import ChannelKit
@testable import ChannelRendering

/// Limits counted in several units at once — WhatsApp's 4096, which Graph counts in code points
/// or UTF-16 code units — and the splitting and re-splitting that keep every part within them.
@Suite("Text limits in several units")
struct TextLimitUnitsTests {
    /// WhatsApp's limit, as its profile states it.
    static let whatsApp = TextLimit(maximum: 4096, units: [.unicodeScalars, .utf16CodeUnits])

    static let family = "👨‍👩‍👧‍👦"          // 1 character, 7 code points, 11 UTF-16 units
    static let astronaut = "🧑🏿‍🚀"         // 1 character, 4 code points, 7 UTF-16 units
    static let flag = "🇫🇷"                // 1 character, 2 code points, 4 UTF-16 units
    static let marked = "n\u{303}a\u{308}\u{301}"  // 2 characters, 5 code points, 5 UTF-16 units

    /// Every part within `limit` in every unit it lists, checked unit by unit.
    static func expectWithin(_ parts: [String], _ limit: TextLimit, _ comment: Comment? = nil,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        for (index, part) in parts.enumerated() {
            for unit in limit.units {
                let length = limit.length(of: part, in: unit)
                #expect(length <= limit.maximum, "part \(index + 1) is \(length) \(unit.rawValue) \(comment.map { "— \($0)" } ?? "")",
                        sourceLocation: sourceLocation)
            }
        }
    }

    /// The characters of `text` that are not whitespace: equal lists mean no grapheme was cut
    /// (a cut cluster shows up as different characters) and nothing was lost or added.
    static func content(_ text: String) -> [Character] { Array(text).filter { !$0.isWhitespace } }
    static func content(_ parts: [String]) -> [Character] { parts.flatMap { content($0) } }

    // MARK: - The limit

    @Test func fitsOnlyWithinEveryUnit() {
        let text = String(repeating: Self.family, count: 10)   // 10 characters, 70 code points, 110 UTF-16 units
        #expect(TextLimit(maximum: 70, unit: .unicodeScalars).fits(text))
        #expect(!TextLimit(maximum: 70, units: [.unicodeScalars, .utf16CodeUnits]).fits(text))
        #expect(TextLimit(maximum: 110, units: [.unicodeScalars, .utf16CodeUnits]).fits(text))
        #expect(TextLimit(maximum: 110, units: [.unicodeScalars, .utf16CodeUnits]).length(of: text) == 110, "the largest count")
        #expect(TextLimit(maximum: 5, units: [.utf16CodeUnits, .characters, .utf16CodeUnits]).units == [.utf16CodeUnits, .characters],
                "a unit listed twice counts once; the first is the one people are told")
        #expect(Self.whatsApp.unit == .unicodeScalars)
    }

    @Test func roundTripsAsJSONAndRefusesALimitWithoutAUnit() throws {
        let data = try JSONEncoder().encode(Self.whatsApp)
        #expect(try JSONDecoder().decode(TextLimit.self, from: data) == Self.whatsApp)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TextLimit.self, from: Data(#"{"maximum":10,"units":[]}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TextLimit.self, from: Data(#"{"maximum":0,"units":["utf8Bytes"]}"#.utf8)) }
    }

    // MARK: - Splitting

    @Test("4,096 family emoji: counted in characters they fit one part, counted as Graph does they need three")
    func familyEmojiSplitByCodePointsAndUTF16() {
        let text = String(repeating: Self.family, count: 4096)
        #expect(TextSplitter.split(text, limit: TextLimit(maximum: 4096, unit: .characters)).count == 1,
                "what the profile used to allow: 28,672 code points in one part")
        let parts = TextSplitter.split(text, limit: Self.whatsApp)
        Self.expectWithin(parts, Self.whatsApp)
        #expect(parts.count == 12, "372 emoji (4,092 UTF-16 units) a part, the UTF-16 count being the larger")
        #expect(parts.joined() == text, "nothing lost, no cluster cut: every part is whole emoji")
        #expect(parts.allSatisfy { $0.unicodeScalars.count % 7 == 0 && Set($0) == [Character(Self.family)] })
    }

    @Test("mixed emoji, flags and combining marks between words: parts within both units, graphemes whole")
    func mixedTextWithinBothUnits() {
        var text = ""
        var index = 0
        while text.utf16.count < 30_000 {
            index += 1
            text += "word\(index) " + [Self.family, Self.astronaut, Self.flag, Self.marked][index % 4]
            text += index % 9 == 0 ? ".\n\n" : index % 5 == 0 ? "\n" : " "
        }
        let parts = TextSplitter.split(text, limit: Self.whatsApp)
        Self.expectWithin(parts, Self.whatsApp)
        #expect(parts.count >= 8)
        #expect(Self.content(parts) == Self.content(text))
        // Each cut is at whitespace the splitter dropped: the parts rejoined at those places are the text.
        var rest = Substring(text)
        for part in parts {
            rest = rest.drop { $0.isWhitespace }
            #expect(rest.hasPrefix(part), "each part is the text's next run, unchanged")
            rest = rest.dropFirst(part.count)
        }
        #expect(rest.allSatisfy { $0.isWhitespace })
    }

    @Test("combining marks: a letter with many marks stays whole; one wider than the limit goes out as scalars")
    func combiningMarks() {
        let heavy = "Z" + String(repeating: "\u{301}\u{300}", count: 30)   // 1 character, 61 code points
        let text = Array(repeating: heavy, count: 40).joined(separator: " ")
        let limit = TextLimit(maximum: 130, units: [.unicodeScalars, .utf16CodeUnits])
        let parts = TextSplitter.split(text, limit: limit)
        Self.expectWithin(parts, limit)
        #expect(parts.allSatisfy { $0 == heavy + " " + heavy }, "two a part, never cut")
        #expect(parts.count == 20)

        let tiny = TextLimit(maximum: 16, units: [.unicodeScalars, .utf16CodeUnits])
        let scalars = TextSplitter.split(heavy, limit: tiny)
        Self.expectWithin(scalars, tiny)
        #expect(scalars.joined() == heavy, "the only way it can be sent at all, nothing lost")
    }

    @Test("WhatsApp Markdown with emoji and a code block: parts within both units, fences closed and reopened")
    func markdownForWhatsApp() {
        let profile = ChannelProfile(formatting: .whatsapp, textLimit: TextLimit(maximum: 400, units: [.unicodeScalars, .utf16CodeUnits]))
        var markdown = "# Plan \(Self.family)\n\n"
        for day in 1...12 { markdown += "**Day \(day)** \(String(repeating: Self.astronaut + Self.flag + " ", count: 8))\n\n" }
        markdown += "```\n" + (1...60).map { "let x\($0) = \"\(Self.family)\"" }.joined(separator: "\n") + "\n```\n"
        let parts = MarkdownRenderer().render(markdown, for: profile)
        Self.expectWithin(parts, profile.textLimit)
        #expect(parts.count > 4)
        for part in parts {
            let fences = part.split(separator: "\n", omittingEmptySubsequences: false).filter { $0 == "```" }.count
            #expect(fences % 2 == 0, "every part closes the code blocks it opens")
        }
    }
}
