import ChannelKit
/// One block of the renderer's intermediate form.
///
/// Lists are not a block of their own: each item is a ``listItem(_:)`` carrying its marker and
/// nesting depth, and consecutive items of one list follow each other. Tables are likewise a run of
/// ``tableRow(cells:isHeader:)`` blocks, each table starting with its header row. HTML blocks are
/// turned into paragraphs of their text by ``MarkdownParser``.
enum MarkdownBlock: Sendable, Hashable {
    /// A paragraph.
    case paragraph([MarkdownInline])
    /// An ATX or setext heading, `level` 1–6.
    case heading(level: Int, [MarkdownInline])
    /// One item of a bullet or ordered list.
    case listItem(ListItem)
    /// A block quote and the blocks it holds.
    case quote([MarkdownBlock])
    /// A fenced or indented code block: its lines, without the final newline.
    case codeBlock(String)
    /// One row of a GFM table: its cells' inline content.
    case tableRow(cells: [[MarkdownInline]], isHeader: Bool)
    /// A thematic break (`---`).
    case thematicBreak

    /// A list item: its marker, where it sits and what it holds.
    struct ListItem: Sendable, Hashable {
        /// What starts the item's first line.
        enum Marker: Sendable, Hashable {
            /// A bullet list item.
            case bullet
            /// An ordered list item with its number.
            case ordered(Int)
        }

        /// The item's marker.
        var marker: Marker
        /// The GFM task state: `nil` for an ordinary item, else whether the box is checked.
        var task: Bool?
        /// How many lists enclose this item's list (0 for a top-level list).
        var depth: Int
        /// Whether the item's list is tight (items on consecutive lines).
        var isTight: Bool
        /// Whether this item is the first of its list.
        var startsList: Bool
        /// The item's content.
        var blocks: [MarkdownBlock]
    }
}
