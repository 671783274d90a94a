import ChannelKit
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

    /// Text rendered earlier (a recorded reply part), with its fences found again: lines that
    /// hold only a ``fenceMarker`` (after indentation) open and close code blocks in turn; an
    /// opening marker left without a closing one is not a fence.
    init(locatingFencesIn text: String) {
        var fences: [Fence] = []
        var open: Int?
        var lineStart = 0
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            let indentation = line.prefix { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }.count
            if line.dropFirst(indentation).elementsEqual(Self.fenceMarker.utf8) {
                if let opening = open {
                    fences.append(Fence(open: opening, close: lineStart + indentation))
                    open = nil
                } else {
                    open = lineStart + indentation
                }
            }
            lineStart += line.count + 1
        }
        self.init(text: text, fences: fences)
    }
}
