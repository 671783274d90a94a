import Testing
@testable import ChannelKit
@testable import ChannelRendering

/// A part rendered earlier, split again within a smaller limit — what the pipeline does with a
/// part the platform refused as too long.
@Suite("Splitting a rendered part again")
struct ResplitTests {
    static let family = "👨‍👩‍👧‍👦"
    static let flag = "🇫🇷"

    @Test("a rendered WhatsApp part split again within half the limit: pieces fit, code fences closed and reopened")
    func resplitKeepsFences() {
        let profile = ChannelProfile(formatting: .whatsapp, textLimit: TextLimitUnitsTests.whatsApp)
        let code = (1...200).map { "print(\"\(Self.family) \($0)\")" }.joined(separator: "\n")
        let part = "*Here is the code* \(Self.flag)\n\n```\n" + code + "\n```\n\nThat's all."
        let half = profile.textLimit.withMaximum(1024)
        let pieces = MarkdownRenderer().resplit(part, for: profile, within: half)
        TextLimitUnitsTests.expectWithin(pieces, half)
        #expect(pieces.count >= 4)
        for piece in pieces {
            let lines = piece.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.filter { $0 == "```" }.count % 2 == 0, "every piece closes what it opens")
        }
        let unfenced = pieces.map(RenderingTestSupport.withoutFenceLines)
        #expect(TextLimitUnitsTests.content(unfenced) == TextLimitUnitsTests.content(RenderingTestSupport.withoutFenceLines(part)))
    }

    @Test("fences are found again in rendered text: marker lines paired in order, indentation allowed, a lone one ignored")
    func locatingFences() {
        let text = "intro\n```\ncode\n```\n  ```\n  indented\n  ```\n```\nunclosed"
        let rendered = RenderedText(locatingFencesIn: text)
        let offsets = rendered.fences.map { [$0.open, $0.close] }
        #expect(offsets == [[6, 15], [21, 38]])
        #expect(rendered.text == text)
        #expect(RenderedText(locatingFencesIn: "no code here").fences.isEmpty)
    }
}
