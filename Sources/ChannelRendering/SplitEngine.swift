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
    private enum BreakKind: Int, CaseIterable {
        case paragraph, line, sentence, word
    }

    /// A place to cut: the part ends before element `end`, the next one starts at element `next`.
    private struct Cut {
        var end: Int
        var next: Int
    }

    /// Per-element properties.
    private struct Flags: OptionSet {
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
        if limit.fits(trimmed) { return [String(trimmed)] }

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

    /// The text cut into elements, with what the splitter needs to know about each.
    private struct Elements {
        /// Element `i` is `text.unicodeScalars[bounds[i]..<bounds[i + 1]]`.
        var bounds: [String.Index]
        /// `prefixWidths[u][i]` is the width of elements `0..<i` in the limit's unit `u`.
        var prefixWidths: [[Int]]
        /// The units the widths are measured in.
        let units: [TextLimit.Unit]
        var flags: [Flags]
        let text: String

        var count: Int { flags.count }

        init(text: String, limit: TextLimit, fences: [RenderedText.Fence]) {
            self.text = text
            let estimate = text.utf8.count
            bounds = [text.startIndex]
            bounds.reserveCapacity(estimate + 1)
            units = limit.units
            prefixWidths = units.map { _ in
                var widths = [0]
                widths.reserveCapacity(estimate + 1)
                return widths
            }
            flags = []
            flags.reserveCapacity(estimate)
            var offsets: [Int] = []
            offsets.reserveCapacity(estimate)

            let scalars = text.unicodeScalars
            let utf8 = text.utf8
            var offset = 0
            var index = text.startIndex
            while index < text.endIndex {
                // An ASCII byte other than CR followed by another ASCII byte (or the end) is a
                // grapheme cluster of its own, one wide in every unit: no grapheme breaking.
                // (Only non-ASCII scalars extend a cluster; CR joins a following LF.)
                let byte = utf8[index]
                if byte < 0x80, byte != 0x0D {
                    let next = utf8.index(after: index)
                    if next == utf8.endIndex || utf8[next] < 0x80 {
                        append(end: next, flags: Self.flags(of: Unicode.Scalar(byte), isSingleScalar: true)) { _ in 1 }
                        offsets.append(offset)
                        offset += 1
                        index = next
                        continue
                    }
                }
                let next = text.index(after: index)
                let first = scalars[index]
                let isSingleScalar = scalars.index(after: index) == next
                if !isSingleScalar, units.contains(where: { Self.width(of: text, from: index, to: next, unit: $0) > limit.maximum }) {
                    // A cluster wider than the limit can only go out in pieces.
                    var scalarIndex = index
                    while scalarIndex < next {
                        let scalar = scalars[scalarIndex]
                        scalarIndex = scalars.index(after: scalarIndex)
                        append(end: scalarIndex, flags: []) { Self.width(of: scalar, unit: $0) }
                        offsets.append(offset)
                        offset += scalar.utf8.count
                    }
                } else {
                    append(end: next, flags: Self.flags(of: first, isSingleScalar: isSingleScalar)) {
                        Self.width(of: text, from: index, to: next, unit: $0)
                    }
                    offsets.append(offset)
                    offset += text.utf8.distance(from: index, to: next)
                }
                index = next
            }
            markFences(fences, offsets: offsets)
        }

        /// The flags of a grapheme cluster starting with `first`. Whitespace and newlines follow
        /// `Character.isWhitespace` / `isNewline` (which look at the first scalar); punctuation
        /// counts only when it stands alone.
        private static func flags(of first: Unicode.Scalar, isSingleScalar: Bool) -> Flags {
            switch first.value {
            case 0x20, 0x09:
                return .whitespace
            case 0x0A...0x0D, 0x85, 0x2028, 0x2029:
                return [.whitespace, .newline]
            case 0x21, 0x2E, 0x3F, 0x2026:  // ! . ? …
                return isSingleScalar ? .sentenceEnd : []
            case 0x3002, 0xFF01, 0xFF1F, 0xFF61:  // 。！？｡
                return isSingleScalar ? [.sentenceEnd, .ideographicEnd] : []
            case 0x22, 0x27, 0x29, 0x5D, 0x201D, 0x2019, 0xBB, 0x300D, 0x300F, 0xFF09:  // " ' ) ] ” ’ » 」 』 ）
                return isSingleScalar ? .closer : []
            case 0..<0x80:
                return []
            default:
                return first.properties.isWhitespace ? .whitespace : []
            }
        }

        private mutating func append(end: String.Index, flags elementFlags: Flags, width: (TextLimit.Unit) -> Int) {
            bounds.append(end)
            for unit in units.indices {
                prefixWidths[unit].append(prefixWidths[unit][prefixWidths[unit].count - 1] + width(units[unit]))
            }
            flags.append(elementFlags)
        }

        /// Flags the fence markers and the code between them.
        private mutating func markFences(_ fences: [RenderedText.Fence], offsets: [Int]) {
            guard !fences.isEmpty else { return }
            let markerLength = RenderedText.fenceMarker.utf8.count
            var element = 0
            for fence in fences {
                while element < count, offsets[element] < fence.open { element += 1 }
                while element < count, offsets[element] < fence.open + markerLength {
                    flags[element].insert(.openFence)
                    element += 1
                }
                while element < count, offsets[element] < fence.close {
                    flags[element].insert(.codeBody)
                    element += 1
                }
                while element < count, offsets[element] < fence.close + markerLength {
                    flags[element].insert(.closeFence)
                    element += 1
                }
            }
        }

        /// The width of `text[start..<end]`, one grapheme cluster.
        static func width(of text: String, from start: String.Index, to end: String.Index, unit: TextLimit.Unit) -> Int {
            switch unit {
            case .utf8Bytes: text.utf8.distance(from: start, to: end)
            case .unicodeScalars: text.unicodeScalars.distance(from: start, to: end)
            case .utf16CodeUnits: text.utf16.distance(from: start, to: end)
            case .characters: 1
            }
        }

        static func width(of scalar: Unicode.Scalar, unit: TextLimit.Unit) -> Int {
            switch unit {
            case .utf8Bytes: scalar.utf8.count
            case .unicodeScalars, .characters: 1
            case .utf16CodeUnits: scalar.utf16.count
            }
        }

        /// The width of elements `start..<end`: the largest of its widths in the units.
        func width(from start: Int, to end: Int) -> Int {
            var widest = 0
            for widths in prefixWidths { widest = max(widest, widths[end] - widths[start]) }
            return widest
        }

        /// The largest `end` in `start...limit` whose run from `start` is at most `budget` wide.
        func farthestEnd(from start: Int, budget: Int, upTo limit: Int) -> Int {
            var low = start
            var high = limit
            while low < high {
                let middle = (low + high + 1) / 2
                if width(from: start, to: middle) <= budget { low = middle } else { high = middle - 1 }
            }
            return low
        }

        /// The text of elements `start..<end`.
        func text(from start: Int, to end: Int) -> String {
            String(Substring(text.unicodeScalars[bounds[start]..<bounds[end]]))
        }

        /// Every place a part may end, by kind, each list sorted by position.
        func cuts(handlingFences: Bool) -> [[Cut]] {
            var cuts = Array(repeating: [Cut](), count: BreakKind.allCases.count)
            var index = 0
            while index < count {
                guard flags[index].contains(.whitespace) else {
                    if flags[index].contains(.ideographicEnd), index + 1 < count,
                       flags[index + 1].isDisjoint(with: [.whitespace, .openFence, .closeFence]) {
                        cuts[BreakKind.sentence.rawValue].append(Cut(end: index + 1, next: index + 1))
                    }
                    index += 1
                    continue
                }
                let runStart = index
                var newlines = 0
                while index < count, flags[index].contains(.whitespace) {
                    if flags[index].contains(.newline) { newlines += 1 }
                    index += 1
                }
                guard runStart > 0, index < count else { continue }
                if handlingFences, flags[runStart - 1].contains(.openFence) || flags[index].contains(.closeFence) {
                    continue
                }
                let kind: BreakKind = newlines >= 2 ? .paragraph
                    : newlines == 1 ? .line
                    : endsSentence(before: runStart) ? .sentence : .word
                cuts[kind.rawValue].append(Cut(end: runStart, next: index))
            }
            return cuts
        }

        /// Whether the text just before element `index` ends a sentence (`.`, `!`, `?`, `…`, maybe
        /// followed by closing quotes or brackets).
        private func endsSentence(before index: Int) -> Bool {
            var position = index - 1
            while position >= 0, position >= index - 3, flags[position].contains(.closer) { position -= 1 }
            return position >= 0 && flags[position].contains(.sentenceEnd)
        }
    }
}
