import ChannelKit
extension SplitEngine {
    /// The text cut into elements, with what the splitter needs to know about each.
    ///
    /// Everything is read from the text's UTF-8 bytes: an element's bounds are byte offsets, and
    /// its widths in code points and UTF-16 code units are counted from its bytes (a code point
    /// is a byte that is not a continuation byte; one of four bytes, lead byte `0xF0` or above, is
    /// two UTF-16 units). Only non-ASCII text asks `String` for grapheme-cluster boundaries.
    struct Elements {
        /// Element `i` is the text's UTF-8 bytes `bounds[i]..<bounds[i + 1]`; `bounds` is therefore
        /// also the prefix width in UTF-8 bytes.
        private(set) var bounds: [Int]
        /// `scalarPrefix[i]`: the code points of elements `0..<i` (empty when not measured).
        private var scalarPrefix: [Int] = []
        /// `utf16Prefix[i]`: the UTF-16 code units of elements `0..<i` (empty when not measured).
        private var utf16Prefix: [Int] = []
        private let measuresBytes: Bool
        private let measuresScalars: Bool
        private let measuresUTF16: Bool
        /// Grapheme clusters: one per element (a cluster cut into its scalars counts one a piece).
        private let measuresCharacters: Bool
        private(set) var flags: [Flags]
        /// The text's UTF-8 bytes.
        private let bytes: [UInt8]

        var count: Int { flags.count }

        init(text: String, limit: TextLimit, fences: [RenderedText.Fence]) {
            let textBytes = Array(text.utf8)
            bytes = textBytes
            measuresBytes = limit.units.contains(.utf8Bytes)
            measuresScalars = limit.units.contains(.unicodeScalars)
            measuresUTF16 = limit.units.contains(.utf16CodeUnits)
            measuresCharacters = limit.units.contains(.characters)
            // At most one element a byte: the arrays are written through pointers, then cut to
            // the elements' count.
            let capacity = textBytes.count + 1
            var elementCount = 0
            var scalars: [Int] = []
            var utf16: [Int] = []
            var flags: [Flags] = []
            let bounds = [Int](unsafeUninitializedCapacity: capacity) { bounds, boundsCount in
                scalars = [Int](unsafeUninitializedCapacity: capacity) { scalars, scalarsCount in
                    utf16 = [Int](unsafeUninitializedCapacity: capacity) { utf16, utf16Count in
                        flags = [Flags](unsafeUninitializedCapacity: capacity) { flags, flagsCount in
                            var output = Output(bounds: bounds.baseAddress!, scalars: scalars.baseAddress!,
                                                utf16: utf16.baseAddress!, flags: flags.baseAddress!)
                            textBytes.withUnsafeBufferPointer { bytes in
                                Self.scan(text, bytes: bytes, maximum: limit.maximum, units: limit.units, into: &output)
                            }
                            elementCount = output.count
                            flagsCount = elementCount
                        }
                        utf16Count = elementCount + 1
                    }
                    scalarsCount = elementCount + 1
                }
                boundsCount = elementCount + 1
            }
            self.bounds = bounds
            self.flags = flags
            if measuresScalars { scalarPrefix = scalars }
            if measuresUTF16 { utf16Prefix = utf16 }
            markFences(fences)
        }

        /// Where ``scan(_:bytes:maximum:units:into:)`` writes the elements.
        private struct Output {
            let bounds: UnsafeMutablePointer<Int>
            let scalars: UnsafeMutablePointer<Int>
            let utf16: UnsafeMutablePointer<Int>
            let flags: UnsafeMutablePointer<Flags>
            /// The elements written so far.
            var count = 0
            var scalarCount = 0
            var utf16Count = 0

            init(bounds: UnsafeMutablePointer<Int>, scalars: UnsafeMutablePointer<Int>, utf16: UnsafeMutablePointer<Int>,
                 flags: UnsafeMutablePointer<Flags>) {
                self.bounds = bounds
                self.scalars = scalars
                self.utf16 = utf16
                self.flags = flags
                bounds[0] = 0
                scalars[0] = 0
                utf16[0] = 0
            }

            /// Appends an element ending at byte `end`, `scalarWidth` code points and `utf16Width`
            /// UTF-16 code units wide.
            @inline(__always)
            mutating func append(end: Int, scalarWidth: Int, utf16Width: Int, flags elementFlags: Flags) {
                flags[count] = elementFlags
                count += 1
                scalarCount += scalarWidth
                utf16Count += utf16Width
                bounds[count] = end
                scalars[count] = scalarCount
                utf16[count] = utf16Count
            }
        }

        /// Cuts `text` (whose UTF-8 bytes are `bytes`) into elements.
        private static func scan(_ text: String, bytes: UnsafeBufferPointer<UInt8>, maximum: Int, units: [TextLimit.Unit],
                                 into output: inout Output) {
            let byteCount = bytes.count
            var offset = 0
            while offset < byteCount {
                // An ASCII byte other than CR followed by another ASCII byte (or the end) is a
                // grapheme cluster of its own, one wide in every unit: no grapheme breaking.
                // (Only non-ASCII scalars extend a cluster; CR joins a following LF.)
                let byte = bytes[offset]
                if byte < 0x80, byte != 0x0D, offset + 1 == byteCount || bytes[offset + 1] < 0x80 {
                    offset += 1
                    output.append(end: offset, scalarWidth: 1, utf16Width: 1, flags: asciiFlagsOf(byte))
                    continue
                }
                let first = scalar(at: offset, in: bytes)
                let firstEnd = offset + scalarLength(leadByte: byte)
                let next: Int
                if firstEnd == byteCount {
                    next = firstEnd
                } else if alwaysBreaksWhenPaired(first), case let second = scalar(at: firstEnd, in: bytes),
                          alwaysBreaksWhenPaired(second), !(first == "\r" && second == "\n") {
                    next = firstEnd
                } else {
                    next = Self.offset(afterClusterAt: offset, in: text)
                }
                let isSingleScalar = firstEnd == next
                let clusterScalars = isSingleScalar ? 1 : scalarCount(in: bytes, from: offset, to: next)
                let clusterUTF16 = clusterScalars + supplementaryCount(in: bytes, from: offset, to: next)
                let isTooWide = units.contains { unit in
                    switch unit {
                    case .utf8Bytes: next - offset > maximum
                    case .unicodeScalars: clusterScalars > maximum
                    case .utf16CodeUnits: clusterUTF16 > maximum
                    case .characters: 1 > maximum
                    }
                }
                if !isSingleScalar, isTooWide {
                    // A cluster wider than the limit can only go out in pieces.
                    var scalarStart = offset
                    while scalarStart < next {
                        let scalarEnd = scalarStart + scalarLength(leadByte: bytes[scalarStart])
                        output.append(end: scalarEnd, scalarWidth: 1, utf16Width: scalarEnd - scalarStart == 4 ? 2 : 1, flags: [])
                        scalarStart = scalarEnd
                    }
                } else {
                    output.append(end: next, scalarWidth: clusterScalars, utf16Width: clusterUTF16,
                                  flags: flags(of: first, isSingleScalar: isSingleScalar))
                }
                offset = next
            }
        }

        /// The flags of an ASCII byte that is a grapheme cluster of its own.
        @inline(__always)
        static func asciiFlagsOf(_ byte: UInt8) -> Flags {
            switch byte {
            case 0x20, 0x09: .whitespace
            case 0x0A...0x0D: [.whitespace, .newline]
            case 0x21, 0x2E, 0x3F: .sentenceEnd  // ! . ?
            case 0x22, 0x27, 0x29, 0x5D: .closer  // " ' ) ]
            default: []
            }
        }

        /// Whether there is a grapheme-cluster boundary between `scalar` and any scalar for which
        /// this also holds (the two are neither CR and LF): the scalars of these ranges extend no
        /// cluster and join none (`Grapheme_Cluster_Break` is Other, Control, CR or LF; no
        /// Extend, ZWJ, SpacingMark, Prepend, Hangul jamo or regional indicator). The same fast
        /// check the standard library makes before it looks at the Unicode properties.
        @inline(__always)
        static func alwaysBreaksWhenPaired(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.value {
            case 0x0000...0x02FF,  // ASCII, Latin-1, Latin Extended-A and -B, IPA, spacing modifiers
                 0x0391...0x03C9,  // Greek letters
                 0x0400...0x0482,  // Cyrillic, without its combining marks
                 0x0621...0x064A,  // Arabic letters, without the marks and the prepended signs
                 0x1E00...0x1EFF,  // Latin Extended Additional (Vietnamese)
                 0x2010...0x2029,  // general punctuation: dashes, quotes, ellipsis, separators
                 0x20A0...0x20C0,  // currency symbols
                 0x3000...0x3029,  // CJK punctuation, without the tone marks
                 0x3041...0x3096,  // hiragana, without the combining voice marks
                 0x30A1...0x30FA,  // katakana
                 0x3400...0x4DBF, 0x4E00...0x9FFF,  // CJK ideographs
                 0xAC00...0xD7A3,  // precomposed Hangul syllables
                 0xFF01...0xFF9D:  // full-width forms, without the half-width voice marks
                true
            default:
                false
            }
        }

        /// The UTF-8 offset where the grapheme cluster starting at byte `offset` of `text` ends.
        private static func offset(afterClusterAt offset: Int, in text: String) -> Int {
            let utf8 = text.utf8
            let index = utf8.index(utf8.startIndex, offsetBy: offset)
            return utf8.distance(from: utf8.startIndex, to: text.index(after: index))
        }

        /// The length of a UTF-8 sequence from its lead byte.
        @inline(__always)
        private static func scalarLength(leadByte: UInt8) -> Int {
            leadByte < 0x80 ? 1 : leadByte < 0xE0 ? 2 : leadByte < 0xF0 ? 3 : 4
        }

        /// The scalar whose UTF-8 sequence starts at `offset`.
        private static func scalar(at offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Unicode.Scalar {
            let lead = UInt32(bytes[offset])
            let value: UInt32
            switch scalarLength(leadByte: bytes[offset]) {
            case 1: value = lead
            case 2: value = (lead & 0x1F) << 6 | UInt32(bytes[offset + 1] & 0x3F)
            case 3: value = (lead & 0x0F) << 12 | UInt32(bytes[offset + 1] & 0x3F) << 6 | UInt32(bytes[offset + 2] & 0x3F)
            default:
                value = (lead & 0x07) << 18 | UInt32(bytes[offset + 1] & 0x3F) << 12
                    | UInt32(bytes[offset + 2] & 0x3F) << 6 | UInt32(bytes[offset + 3] & 0x3F)
            }
            return Unicode.Scalar(value) ?? "\u{FFFD}"
        }

        /// The code points in `bytes[start..<end]`: the bytes that are not continuation bytes.
        @inline(__always)
        private static func scalarCount(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
            var count = 0
            for index in start..<end where bytes[index] & 0xC0 != 0x80 { count += 1 }
            return count
        }

        /// The code points in `bytes[start..<end]` outside the Basic Multilingual Plane (two
        /// UTF-16 code units each): their lead bytes are `0xF0` and above.
        @inline(__always)
        private static func supplementaryCount(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
            var count = 0
            for index in start..<end where bytes[index] >= 0xF0 { count += 1 }
            return count
        }

        /// The flags of a grapheme cluster starting with `first`. Whitespace and newlines follow
        /// `Character.isWhitespace` / `isNewline` (which look at the first scalar); punctuation
        /// counts only when it stands alone.
        static func flags(of first: Unicode.Scalar, isSingleScalar: Bool) -> Flags {
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
                return isNonASCIIWhitespace(first) ? .whitespace : []
            }
        }

        /// `scalar.properties.isWhitespace` for a scalar above ASCII: the Unicode `White_Space`
        /// property, which has held exactly these since Unicode 6.3.
        static func isNonASCIIWhitespace(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.value {
            case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
            default: false
            }
        }

        /// Flags the fence markers and the code between them.
        private mutating func markFences(_ fences: [RenderedText.Fence]) {
            guard !fences.isEmpty else { return }
            let markerLength = RenderedText.fenceMarker.utf8.count
            var element = 0
            for fence in fences {
                while element < count, bounds[element] < fence.open { element += 1 }
                while element < count, bounds[element] < fence.open + markerLength {
                    flags[element].insert(.openFence)
                    element += 1
                }
                while element < count, bounds[element] < fence.close {
                    flags[element].insert(.codeBody)
                    element += 1
                }
                while element < count, bounds[element] < fence.close + markerLength {
                    flags[element].insert(.closeFence)
                    element += 1
                }
            }
        }

        /// The width of elements `start..<end`: the largest of its widths in the limit's units.
        @inline(__always)
        func width(from start: Int, to end: Int) -> Int {
            var widest = 0
            if measuresBytes { widest = bounds[end] - bounds[start] }
            if measuresCharacters { widest = max(widest, end - start) }
            if measuresScalars { widest = max(widest, scalarPrefix[end] - scalarPrefix[start]) }
            if measuresUTF16 { widest = max(widest, utf16Prefix[end] - utf16Prefix[start]) }
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
            String(decoding: bytes[bounds[start]..<bounds[end]], as: UTF8.self)
        }

        /// Every place a part may end, by kind, each list sorted by position.
        func cuts(handlingFences: Bool) -> [[Cut]] {
            // One array per kind, in the order of ``BreakKind``.
            var paragraphs: [Cut] = []
            var lines: [Cut] = []
            var sentences: [Cut] = []
            var words: [Cut] = []
            var index = 0
            while index < count {
                guard flags[index].contains(.whitespace) else {
                    if flags[index].contains(.ideographicEnd), index + 1 < count,
                       flags[index + 1].isDisjoint(with: [.whitespace, .openFence, .closeFence]) {
                        sentences.append(Cut(end: index + 1, next: index + 1))
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
                let cut = Cut(end: runStart, next: index)
                if newlines >= 2 {
                    paragraphs.append(cut)
                } else if newlines == 1 {
                    lines.append(cut)
                } else if endsSentence(before: runStart) {
                    sentences.append(cut)
                } else {
                    words.append(cut)
                }
            }
            return [paragraphs, lines, sentences, words]
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
