import Testing
@testable import ChannelKit
@testable import ChannelRendering

@Suite("MarkdownRenderer")
struct MarkdownRendererTests {
    typealias SplitMix64 = RenderingTestSupport.SplitMix64

    /// One Markdown input and the exact text expected in a dialect.
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let markdown: String
        let expected: String

        init(_ name: String, _ markdown: String, _ expected: String) {
            self.name = name
            self.markdown = markdown
            self.expected = expected
        }

        var testDescription: String { name }
    }

    /// Every plain-dialect rule, input → exact output.
    static let plainCases: [Case] = [
        Case("headings levels 1-3 stand alone",
             "# One\n## Two\n### Three\nText under three.",
             "One\n\nTwo\n\nThree\n\nText under three."),
        Case("setext heading between paragraphs",
             "Intro line.\n\nTitle\n=====\nBody.",
             "Intro line.\n\nTitle\n\nBody."),
        Case("emphasis and strong markers vanish",
             "Some *emph*, _also_, **strong**, __this__ and ***both***.",
             "Some emph, also, strong, this and both."),
        Case("strikethrough markers vanish",
             "~~old~~ new price",
             "old new price"),
        Case("a lone tilde is text, not strike",
             "takes ~5 min, not ~10",
             "takes ~5 min, not ~10"),
        Case("inline code loses its backticks",
             "Run `swift test` now, or ``a `tick` b``.",
             "Run swift test now, or a `tick` b."),
        Case("link becomes text (url)",
             "Read [the docs](https://sandra.example/docs?x=1) first.",
             "Read the docs (https://sandra.example/docs?x=1) first."),
        Case("link whose text is the URL shows the URL once",
             "[https://x.example/a](https://x.example/a)",
             "https://x.example/a"),
        Case("angle autolink shows the URL once",
             "See <https://x.example/a?b=1>.",
             "See https://x.example/a?b=1."),
        Case("bare GFM autolinks keep their text",
             "Visit https://x.example/path or www.y.example today.",
             "Visit https://x.example/path or www.y.example today."),
        Case("mailto autolinks show just the address",
             "Mail <me@x.example>, <mailto:you@x.example> or her@x.example.",
             "Mail me@x.example, you@x.example or her@x.example."),
        Case("mailto link with text shows text and address",
             "[write to us](mailto:team@x.example)",
             "write to us (team@x.example)"),
        Case("image becomes alt (url), or the url without alt",
             "![Logo](https://x.example/l.png) and ![](https://x.example/m.png)",
             "Logo (https://x.example/l.png) and https://x.example/m.png"),
        Case("formatted link text",
             "[**bold** _link_](https://x.example)",
             "bold link (https://x.example)"),
        Case("bullet list",
             "- one\n- two\n* three",
             "• one\n• two\n\n• three"),
        Case("nested lists indent two spaces per level",
             "- a\n  - b\n    - c\n- d",
             "• a\n  • b\n    • c\n• d"),
        Case("ordered list respects its start number",
             "3. three\n3. four\n3. five",
             "3. three\n4. four\n5. five"),
        Case("ordered list nested in a bullet list",
             "- fruit\n  1. apple\n  2. pear\n- veg",
             "• fruit\n  1. apple\n  2. pear\n• veg"),
        Case("loose list keeps blank lines between items",
             "- a\n\n- b",
             "• a\n\n• b"),
        Case("list item with two paragraphs",
             "1. first\n\n   second\n2. next",
             "1. first\n\n  second\n\n2. next"),
        Case("task list",
             "- [ ] todo\n- [x] done\n1. [ ] numbered",
             "☐ todo\n☑ done\n\n1. ☐ numbered"),
        Case("table with three columns becomes rows",
             "| Name | Qty | Price |\n|:-----|:---:|------:|\n| Tea | 2 | **3€** |\n| Cake | 1 | 4€ |",
             "Name · Qty · Price\nTea · 2 · 3€\nCake · 1 · 4€"),
        Case("table empty cell and surrounding paragraphs",
             "Before.\n\n| a | b |\n|---|---|\n| 1 |   |\n\nAfter.",
             "Before.\n\na · b\n1 · —\n\nAfter."),
        Case("fenced code block keeps its lines, blank lines included",
             "Code:\n\n```swift\nlet a = 1\n\n\n    let b = a\n```\nDone.",
             "Code:\n\nlet a = 1\n\n\n    let b = a\n\nDone."),
        Case("indented code block keeps its lines",
             "Text:\n\n    line 1\n      line 2",
             "Text:\n\nline 1\n  line 2"),
        Case("code block inside a list item",
             "- step:\n\n  ```\n  make\n  ```",
             "• step:\n\n  make"),
        Case("inline HTML tags vanish",
             "Say <b>hi</b> <span class=\"x\">there</span> now",
             "Say hi there now"),
        Case("br tags become line breaks",
             "one<br>two<br/>three<BR />four",
             "one\ntwo\nthree\nfour"),
        Case("HTML block: tags stripped, text kept, entities decoded",
             "<div class=\"note\">\n<p>Hello &amp; <i>bye</i></p>\n<p>Second &eacute;</p>\n</div>",
             "Hello & bye\nSecond é"),
        Case("inline HTML comment leaves one space",
             "before <!-- note --> after",
             "before after"),
        Case("script and style content never shows",
             "<script>alert(1)</script>\n\nshown\n\n<style>p { color: red }</style>",
             "shown"),
        Case("HTML comment block leaves nothing behind",
             "a\n\n<!-- hidden\nnote -->\n\nb",
             "a\n\nb"),
        Case("entities are decoded",
             "Tom &amp; Jerry &lt;3 &copy; &#233; &#x1F600; &nbsp;end",
             "Tom & Jerry <3 © é 😀 \u{A0}end"),
        Case("entities in code stay literal",
             "`&amp;`",
             "&amp;"),
        Case("backslash escapes are resolved",
             "\\*not emphasis\\* and 1\\. no list",
             "*not emphasis* and 1. no list"),
        Case("block quote lines are prefixed with > ",
             "> quoted\n> more\n>\n> second",
             "> quoted more\n>\n> second"),
        Case("block quote holding a list",
             "> - a\n> - b",
             "> • a\n> • b"),
        Case("thematic break is a ——— line",
             "above\n\n---\n\nbelow\n***",
             "above\n\n———\n\nbelow\n\n———"),
        Case("hard breaks become newlines",
             "line one  \nline two\\\nline three",
             "line one\nline two\nline three"),
        Case("soft breaks become spaces",
             "line one\nline two",
             "line one line two"),
        Case("emoji pass through untouched",
             "Hi 👋🏽 👨‍👩‍👧‍👦 🇫🇷 e\u{301} *ok* 🎉",
             "Hi 👋🏽 👨‍👩‍👧‍👦 🇫🇷 e\u{301} ok 🎉"),
        Case("blank lines collapse, no leading or trailing ones",
             "\n\n  para  \n\n\n\n  para2   \n\n",
             "para\n\npara2"),
        Case("empty input", "", ""),
        Case("whitespace-only input", " \n\t\n ", ""),
    ]

    /// The WhatsApp dialect.
    static let whatsAppCases: [Case] = [
        Case("bold, italic, strike, code",
             "**bold** *it* ~~del~~ `code`",
             "*bold* _it_ ~del~ ```code```"),
        Case("nested emphasis does not repeat markers",
             "***both*** and **bold *and it***",
             "_*both*_ and *bold _and it_*"),
        Case("headings are bold lines",
             "# Heading\n\n## **Already** bold\ntext",
             "*Heading*\n\n*Already bold*\n\ntext"),
        Case("code blocks use ``` fences",
             "```python\nprint(1)\n\nprint(2)\n```",
             "```\nprint(1)\n\nprint(2)\n```"),
        Case("links and lists as in plain",
             "- [site](https://x.example)\n- <https://y.example>\n  1. sub",
             "• site (https://x.example)\n• https://y.example\n  1. sub"),
        Case("tables as in plain, inline formatting kept",
             "| a | b |\n|---|---|\n| *1* | 2 |",
             "a · b\n_1_ · 2"),
        Case("spaces inside markers are not emphasis",
             "a ** spaced ** b",
             "a ** spaced ** b"),
        Case("HTML tags never leak",
             "<b>hi</b> &amp; bye",
             "hi & bye"),
    ]

    let renderer = MarkdownRenderer()

    @Test("plain dialect", arguments: Self.plainCases)
    func plain(_ testCase: Case) {
        #expect(renderer.renderText(testCase.markdown, formatting: .plain) == testCase.expected)
    }

    @Test("WhatsApp dialect", arguments: Self.whatsAppCases)
    func whatsApp(_ testCase: Case) {
        #expect(renderer.renderText(testCase.markdown, formatting: .whatsapp) == testCase.expected)
    }

    @Test func deeplyNestedInputRendersWithoutExhaustingTheStack() {
        let inputs = [
            String(repeating: ">", count: 5000) + " deep",
            String(repeating: "- ", count: 3000) + "deep",
            String(repeating: "*a ", count: 3000) + "deep" + String(repeating: "*", count: 3000),
        ]
        for markdown in inputs {
            #expect(renderer.renderText(markdown, formatting: .plain).hasSuffix("deep"))
            #expect(!renderer.render(markdown, for: ChannelProfile(formatting: .whatsapp, textLimit: TextLimit(maximum: 500, unit: .utf8Bytes))).isEmpty)
        }
    }

    @Test func plainCasesAreNumerous() {
        #expect(Self.plainCases.count >= 25)
    }

    @Test func markdownDialectReturnsTheInputTrimmed() {
        let markdown = "\n  **bold** and `code`\n\n| a |\n|---|\n\n"
        #expect(renderer.renderText(markdown, formatting: .markdown) == "**bold** and `code`\n\n| a |\n|---|")
        let profile = ChannelProfile(formatting: .markdown, textLimit: TextLimit(maximum: 12, unit: .utf8Bytes))
        #expect(renderer.render("**bold** words\n\nand more words", for: profile) == ["**bold**", "words", "and more", "words"])
    }

    @Test func plainOutputHasNoTrailingWhitespaceOrMarkup() {
        let text = renderer.renderText(Self.sampleDocument(sections: 3), formatting: .plain)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            #expect(line.last.map { !$0.isWhitespace } ?? true, "trailing whitespace in \(line.debugDescription)")
            #expect(!line.contains("**") && !line.contains("~~") && !line.contains("`") && !line.contains("|"))
            #expect(!line.hasPrefix("#") && !line.contains("<b>") && !line.contains("&amp;"))
        }
        #expect(!text.contains("\n\n\n"))
        #expect(text == RenderingTestSupport.trimmed(text))
    }

    @Test func renderSplitsToTheProfileLimit() {
        let profile = ChannelProfile(formatting: .plain, textLimit: TextLimit(maximum: 1000, unit: .utf8Bytes))
        let markdown = Self.sampleDocument(sections: 12)
        #expect(markdown.utf8.count >= 5000)
        let whole = renderer.renderText(markdown, formatting: .plain)
        let parts = renderer.render(markdown, for: profile)
        #expect(parts.count >= 4)
        for part in parts {
            #expect(part.utf8.count <= 1000)
            #expect(!part.isEmpty && part == RenderingTestSupport.trimmed(part))
        }
        #expect(RenderingTestSupport.withoutWhitespace(parts.joined()) == RenderingTestSupport.withoutWhitespace(whole))
        // Each part except the last ends at a blank line of the whole text when one was in reach.
        #expect(parts.dropLast().allSatisfy { whole.contains($0 + "\n\n") })
    }

    @Test func renderOfShortTextIsOnePart() {
        let profile = ChannelProfile(formatting: .plain, textLimit: TextLimit(maximum: 1000, unit: .utf8Bytes))
        #expect(renderer.render("**Hello** there!", for: profile) == ["Hello there!"])
        #expect(renderer.render("  \n ", for: profile) == [])
        #expect(renderer.render("<!-- only a comment -->", for: profile) == [])
    }

    @Test func whatsAppClosesAndReopensACodeBlockCutInTwo() throws {
        let codeLines = (1...40).map { "    let value\($0) = compute(\($0))" }
        let markdown = "Here is the code:\n\n```swift\n" + codeLines.joined(separator: "\n") + "\n```\n\nThat is all."
        let limit = 300
        let profile = ChannelProfile(formatting: .whatsapp, textLimit: TextLimit(maximum: limit, unit: .utf8Bytes))
        let parts = renderer.render(markdown, for: profile)
        #expect(parts.count > 3)
        var seenCode: [String] = []
        for part in parts {
            #expect(part.utf8.count <= limit)
            let lines = part.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.filter { $0 == "```" }.count % 2 == 0, "unbalanced fences in \(part.debugDescription)")
            var inside = false
            for line in lines {
                if line == "```" { inside.toggle() } else if inside { seenCode.append(line) }
            }
        }
        // Every code line arrives whole, with its indentation, in order.
        #expect(seenCode == codeLines)
        #expect(parts.first?.hasPrefix("Here is the code:") == true)
        #expect(parts.last?.hasSuffix("That is all.") == true)
        // Greedy: each part is full enough that the next code line would not have fitted.
        for (part, next) in zip(parts, parts.dropFirst()) where part.hasSuffix("\n```") && next.hasPrefix("```\n") {
            let nextLine = try #require(next.dropFirst(4).split(separator: "\n").first)
            #expect(part.utf8.count + 1 + nextLine.utf8.count > limit)
        }
    }

    @Test func whatsAppFencesStayBalancedForRandomDocuments() {
        var random = SplitMix64(seed: 0x5EED)
        let renderer = renderer
        for _ in 0..<300 {
            var blocks: [String] = []
            for _ in 0..<random.int(in: 1...8) {
                if random.int(in: 0...2) == 0 {
                    let lines = (0..<random.int(in: 1...12)).map { _ in
                        String(repeating: " ", count: random.int(in: 0...4)) + random.words(random.int(in: 1...8))
                    }
                    blocks.append("```\n" + lines.joined(separator: "\n") + "\n```")
                } else {
                    blocks.append(random.words(random.int(in: 1...60)))
                }
            }
            let markdown = blocks.joined(separator: "\n\n")
            let limit = TextLimit(maximum: random.int(in: 64...400), unit: random.int(in: 0...1) == 0 ? .utf8Bytes : .characters)
            let profile = ChannelProfile(formatting: .whatsapp, textLimit: limit)
            let whole = renderer.renderText(markdown, formatting: .whatsapp)
            let parts = renderer.render(markdown, for: profile)
            for part in parts {
                #expect(limit.fits(part))
                let fences = part.split(separator: "\n").filter { $0 == "```" }.count
                #expect(fences % 2 == 0, "unbalanced fences in \(part.debugDescription)")
            }
            let strip = { (text: String) in RenderingTestSupport.withoutWhitespace(RenderingTestSupport.withoutFenceLines(text)) }
            #expect(strip(parts.joined(separator: "\n")) == strip(whole))
        }
    }

    @Test func concurrentRenderingGivesIdenticalResults() async {
        let renderer = renderer
        let markdown = Self.sampleDocument(sections: 4)
        let plain = ChannelProfile(formatting: .plain, textLimit: TextLimit(maximum: 1000, unit: .utf8Bytes))
        let whatsApp = ChannelProfile(formatting: .whatsapp, textLimit: TextLimit(maximum: 700, unit: .utf16CodeUnits))
        let expectedPlain = renderer.render(markdown, for: plain)
        let expectedWhatsApp = renderer.render(markdown, for: whatsApp)
        let results = await withTaskGroup(of: ([String], [String]).self) { group in
            for _ in 0..<50 {
                group.addTask {
                    var last: ([String], [String]) = ([], [])
                    for _ in 0..<10 {
                        last = (renderer.render(markdown, for: plain), renderer.render(markdown, for: whatsApp))
                        if last.0 != expectedPlain || last.1 != expectedWhatsApp { break }
                    }
                    return last
                }
            }
            var all: [([String], [String])] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 50)
        #expect(results.allSatisfy { $0.0 == expectedPlain && $0.1 == expectedWhatsApp })
        #expect(expectedPlain.joined().contains("struck"))
        #expect(!expectedPlain.joined().contains("~~"))
        #expect(expectedWhatsApp.joined().contains("~struck~"))
    }

    /// A Markdown document using every construct, `sections` times (about 470 bytes each).
    static func sampleDocument(sections: Int) -> String {
        (1...sections).map { index in
            """
            ## Section \(index)

            Some *emphasis*, **strong** and ~~struck~~ text with `code` and a [link](https://x.example/\(index)).
            Another sentence follows here. And one more, to make the paragraph long enough to matter!

            - first item with <b>html</b> &amp; entities
            - second item
              1. nested one
              2. nested two
            - [x] a finished task

            | Key | Value | Note |
            |-----|-------|------|
            | a\(index) | 1 | ok |

            > A quoted line 👨‍👩‍👧‍👦 🇫🇷 👍🏽.

            ```
            let x = \(index)

            print(x)
            ```

            ---
            """
        }.joined(separator: "\n\n")
    }
}
