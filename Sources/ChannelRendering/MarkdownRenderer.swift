import ChannelKit
/// Renders Markdown (CommonMark + GFM) in a channel's formatting dialect, split into messages that
/// fit the channel's text limit.
///
/// The Markdown is parsed once with cmark-gfm (tables, strikethrough with `~~`, autolinks and
/// task lists enabled) into a small intermediate form, which is then written out:
/// - ``ChannelProfile/Formatting/plain``: readable plain text that keeps the meaning — markers
///   vanish, links read `text (url)`, lists keep `• ` bullets and numbers (`☐ `/`☑ ` for tasks,
///   two spaces per nesting level), headings and code lines stand on their own, table rows read
///   `cell · cell`, block quotes are lines prefixed with `> `, a thematic break is a line `———`,
///   HTML tags never show and entities are decoded;
/// - ``ChannelProfile/Formatting/whatsapp``: the same, with `*bold*`, `_italic_`, `~strike~`,
///   ```` ``` ```` around code and `*Heading*`;
/// - ``ChannelProfile/Formatting/markdown``: the input, trimmed.
///
/// The renderer holds no state and is safe to call from any number of tasks at once.
public struct MarkdownRenderer: Sendable {
    /// Creates a renderer.
    public init() {}

    /// Markdown (CommonMark + GFM) → the channel's dialect, split into parts that each fit
    /// `profile.textLimit` (see ``TextSplitter``). In the WhatsApp dialect a code block cut in two
    /// is closed at the end of one part and reopened at the start of the next, the fences counted
    /// in the limit. Empty or whitespace-only output gives no parts.
    public func render(_ markdown: String, for profile: ChannelProfile) -> [String] {
        SplitEngine(limit: profile.textLimit).split(rendered(markdown, formatting: profile.formatting))
    }

    /// Splits a part rendered earlier for `profile` again, into parts that each fit `limit` —
    /// for a part the platform refused: the same breaks are preferred, graphemes stay whole,
    /// and in the WhatsApp dialect a code block cut in two is closed and reopened.
    public func resplit(_ part: String, for profile: ChannelProfile, within limit: TextLimit) -> [String] {
        let rendered = profile.formatting == .whatsapp ? RenderedText(locatingFencesIn: part) : RenderedText(text: part)
        return SplitEngine(limit: limit).split(rendered)
    }

    /// Markdown → the dialect as one string, no splitting.
    public func renderText(_ markdown: String, formatting: ChannelProfile.Formatting) -> String {
        rendered(markdown, formatting: formatting).text
    }

    /// The dialect's text and where its code fences are.
    func rendered(_ markdown: String, formatting: ChannelProfile.Formatting) -> RenderedText {
        switch formatting {
        case .plain:
            DialectWriter(dialect: .plain).write(MarkdownParser.parse(markdown))
        case .whatsapp:
            DialectWriter(dialect: .whatsApp).write(MarkdownParser.parse(markdown))
        case .markdown:
            RenderedText(text: markdown.trimmingWhitespace())
        }
    }
}
