import ChannelKit
/// One inline span of the renderer's intermediate form.
///
/// Produced by ``MarkdownParser`` from the cmark-gfm tree and written out by ``DialectWriter``.
/// Raw HTML never reaches this form: `<br>` becomes ``lineBreak`` and every other tag is dropped;
/// a soft line break becomes the text `" "`.
enum MarkdownInline: Sendable, Hashable {
    /// Literal text, entities already decoded.
    case text(String)
    /// `*emphasis*`.
    case emphasis([MarkdownInline])
    /// `**strong**`.
    case strong([MarkdownInline])
    /// `~~strikethrough~~`.
    case strikethrough([MarkdownInline])
    /// `` `code` ``, its literal text.
    case code(String)
    /// A link (or, when `isImage`, an image whose children are its alt text).
    case link(url: String, children: [MarkdownInline], isImage: Bool)
    /// A hard line break.
    case lineBreak
}
