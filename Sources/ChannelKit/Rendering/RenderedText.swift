/// A dialect's output plus where its code fences are, which the splitter needs to close a fence
/// cut in two and reopen it in the next part.
struct RenderedText: Sendable, Hashable {
    /// The rendered text.
    var text: String
    /// The code blocks' fences, in order.
    var fences: [Fence]

    /// One fenced code block: the UTF-8 offsets in ``RenderedText/text`` where its opening and its
    /// closing ``RenderedText/fenceMarker`` start. Each marker stands on its own line.
    struct Fence: Sendable, Hashable {
        /// Offset of the opening marker's first byte.
        var open: Int
        /// Offset of the closing marker's first byte.
        var close: Int
    }

    /// What opens and closes a code block (WhatsApp's monospace block).
    static let fenceMarker = "```"

    /// Creates rendered text.
    init(text: String, fences: [Fence] = []) {
        self.text = text
        self.fences = fences
    }
}
