import ChannelKit
/// Splits text into parts that each fit a ``TextLimit``: within its maximum in every unit it
/// lists (a WhatsApp part is within 4096 code points and 4096 UTF-16 code units).
///
/// Parts are packed greedily: each takes as much of the text as fits, ending at the best break
/// available — a blank line, else a line break, else a sentence end (`. `, `! `, `? `, `… ` or
/// CJK `。！？`), else whitespace between words, else a grapheme-cluster boundary. A grapheme
/// cluster (emoji ZWJ sequence, flag, skin tone, combining marks) is never cut — unless it alone is
/// wider than the whole limit, when it is sent as its Unicode scalars.
///
/// Whitespace is trimmed at every cut (so no part starts or ends with whitespace, and none is empty
/// or whitespace-only); everything else is kept, in order. Runs in O(n log n).
public enum TextSplitter {
    /// Splits `text` into parts that each fit `limit`.
    ///
    /// A text that fits (once trimmed of surrounding whitespace) comes back as one, trimmed, part;
    /// an empty or whitespace-only text as no parts at all.
    public static func split(_ text: String, limit: TextLimit) -> [String] {
        SplitEngine(limit: limit).split(RenderedText(text: text))
    }
}
