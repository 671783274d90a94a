import ChannelKit
/// The greedy splitter behind ``TextSplitter`` and ``MarkdownRenderer``.
///
/// The text is cut into elements — grapheme clusters, except that a cluster wider than the whole
/// limit is cut into its Unicode scalars, the only way it can be sent at all — with their widths in
/// each of the limit's units and prefix sums of those widths; a run fits when it is within the
/// maximum in every unit (WhatsApp: code points and UTF-16 code units). Each part then takes the longest run that
/// fits, ending at the best kind of break available in it: a blank line, else a line break, else
/// a sentence end, else whitespace between words, else a grapheme boundary. Whitespace at a cut is
/// dropped; nothing else is. Break candidates are listed once per kind, sorted, and found by
/// binary search, so a whole split costs O(n log n) in the text's length.
///
/// With fences (WhatsApp code blocks), a part that ends inside a code block gets a closing
/// ```` ``` ```` line and the next part reopens it (keeping its first line's indentation); the fence
/// bytes count toward the limit. A fence line is never left alone at the edge of a part.
struct SplitEngine: Sendable {
    /// The limit every part must fit.
    var limit: TextLimit

    /// Creates an engine for `limit`.
    init(limit: TextLimit) {
        self.limit = limit
    }

    /// Kinds of break, best first.
    enum BreakKind: Int, CaseIterable {
        case paragraph, line, sentence, word
    }

    /// A place to cut: the part ends before element `end`, the next one starts at element `next`.
    struct Cut {
        var end: Int
        var next: Int
    }

    /// Per-element properties.
    struct Flags: OptionSet {
        let rawValue: UInt8
        static let whitespace = Flags(rawValue: 1 << 0)
        static let newline = Flags(rawValue: 1 << 1)
        static let sentenceEnd = Flags(rawValue: 1 << 2)
        static let closer = Flags(rawValue: 1 << 3)
        static let ideographicEnd = Flags(rawValue: 1 << 4)
        static let openFence = Flags(rawValue: 1 << 5)
        static let closeFence = Flags(rawValue: 1 << 6)
        static let codeBody = Flags(rawValue: 1 << 7)
        static let fence: Flags = [.openFence, .closeFence]
    }

    private static let reopenFence = RenderedText.fenceMarker + "\n"
    private static let closeFence = "\n" + RenderedText.fenceMarker

    /// Splits `rendered` into parts that each fit ``limit``.
    func split(_ rendered: RenderedText) -> [String] {
        let text = rendered.text
        guard let firstIndex = text.firstIndex(where: { !$0.isWhitespace }),
              let lastIndex = text.lastIndex(where: { !$0.isWhitespace }) else { return [] }
        let trimmed = text[firstIndex...lastIndex]
        if fits(trimmed) { return [String(trimmed)] }

        let openCost = limit.length(of: Self.reopenFence)
        let closeCost = limit.length(of: Self.closeFence)
        // Below this, closing and reopening fences could not leave room for any text.
        let handlesFences = !rendered.fences.isEmpty && limit.maximum >= 8 * (openCost + closeCost)
        let elements = Elements(text: text, limit: limit, fences: handlesFences ? rendered.fences : [])
        let cuts = elements.cuts(handlingFences: handlesFences)
        let count = elements.count

        var parts: [String] = []
        var start = 0
        while start < count, elements.flags[start].contains(.whitespace) { start += 1 }
        var end = count
        while end > start, elements.flags[end - 1].contains(.whitespace) { end -= 1 }
        let textEnd = end

        while start < textEnd {
            let reopens = handlesFences && elements.flags[start].contains(.codeBody)
            let budget = limit.maximum - (reopens ? openCost : 0)
            let closeCostAt = { (cut: Int) -> Int in
                handlesFences && elements.flags[cut - 1].contains(.codeBody) ? closeCost : 0
            }
            let fits = { (cut: Int) -> Bool in
                elements.width(from: start, to: cut) + closeCostAt(cut) <= budget
            }
            var cut: Cut
            if fits(textEnd) {
                cut = Cut(end: textEnd, next: textEnd)
            } else {
                let farthest = elements.farthestEnd(from: start, budget: budget, upTo: textEnd)
                cut = bestCut(in: cuts, from: start, farthest: farthest, fits: fits)
                    ?? graphemeCut(elements, from: start, farthest: farthest, handlingFences: handlesFences, fits: fits)
            }
            parts.append((reopens ? Self.reopenFence : "")
                + elements.text(from: start, to: cut.end)
                + (closeCostAt(cut.end) > 0 ? Self.closeFence : ""))
            start = cut.next
            while start < textEnd, elements.flags[start].contains(.whitespace) { start += 1 }
            if handlesFences, start < textEnd, elements.flags[start].contains(.codeBody) {
                // Reopened code keeps the indentation of its first line.
                var lineStart = start
                while lineStart > cut.end, elements.flags[lineStart - 1].contains(.whitespace),
                      !elements.flags[lineStart - 1].contains(.newline) {
                    lineStart -= 1
                }
                if lineStart > cut.end, elements.flags[lineStart - 1].contains(.newline) { start = lineStart }
            }
        }
        return parts
    }

    /// `limit.fits(text)`, counted in one pass over the UTF-8 bytes (or none) unless the limit
    /// counts grapheme clusters.
    private func fits(_ text: Substring) -> Bool {
        guard !limit.units.contains(.characters) else { return limit.fits(text) }
        // Every unit counts a text at most as long as its UTF-8 bytes.
        if text.utf8.count <= limit.maximum { return true }
        if limit.units.contains(.utf8Bytes) { return false }
        let counted = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            var scalars = 0
            var supplementary = 0
            for byte in bytes {
                if byte & 0xC0 != 0x80 { scalars += 1 }
                if byte >= 0xF0 { supplementary += 1 }
            }
            return limit.units.allSatisfy { unit in
                switch unit {
                case .utf8Bytes: bytes.count <= limit.maximum
                case .unicodeScalars: scalars <= limit.maximum
                case .utf16CodeUnits: scalars + supplementary <= limit.maximum
                case .characters: false
                }
            }
        }
        return counted ?? limit.fits(text)
    }

    /// The latest cut of the best kind that ends after `start`, at or before `farthest`, and fits.
    private func bestCut(in cuts: [[Cut]], from start: Int, farthest: Int, fits: (Int) -> Bool) -> Cut? {
        for kind in BreakKind.allCases {
            let list = cuts[kind.rawValue]
            // The first cut ending after `farthest`, then step back.
            var low = 0
            var high = list.count
            while low < high {
                let middle = (low + high) / 2
                if list[middle].end <= farthest { low = middle + 1 } else { high = middle }
            }
            var index = low - 1
            while index >= 0, list[index].end > start {
                if fits(list[index].end) { return list[index] }
                index -= 1
            }
        }
        return nil
    }

    /// The last resort: the farthest grapheme boundary that fits (never next to a fence); failing
    /// that, as much as fits, or one element if even that does not.
    private func graphemeCut(_ elements: Elements, from start: Int, farthest: Int, handlingFences: Bool,
                             fits: (Int) -> Bool) -> Cut {
        var end = farthest
        while end > start {
            let before = elements.flags[end - 1]
            let after = elements.flags[end]
            let separable = !before.contains(.whitespace) && !after.contains(.whitespace)
                && !(handlingFences && !(before.union(after)).isDisjoint(with: .fence))
            if separable, fits(end) { return Cut(end: end, next: end) }
            end -= 1
        }
        end = max(farthest, start + 1)
        while end > start + 1, elements.flags[end - 1].contains(.whitespace) { end -= 1 }
        return Cut(end: end, next: end)
    }
}
