/// A one-pass JSON reader (RFC 8259, UTF-8) that builds a ``MetaJSON`` straight from bytes.
///
/// Numbers without a fraction or an exponent that fit in 64 bits become `.integer`, other
/// numbers `.double`. Strings must be valid UTF-8 with no raw control characters, and a
/// `\uXXXX` surrogate must be part of a pair. Nesting deeper than ``maximumDepth`` is refused.
struct MetaJSONReader {
    /// Arrays and objects nested deeper than this are refused (as `JSONDecoder` does).
    static let maximumDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    private var depth = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The one value the bytes hold, with only whitespace around it (and an optional BOM).
    mutating func document() throws -> MetaJSON {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }
        let value = try self.value()
        skipWhitespace()
        guard position == bytes.count else { throw failure("unexpected text after the value") }
        return value
    }

    // MARK: Values

    private mutating func value() throws -> MetaJSON {
        skipWhitespace()
        guard position < bytes.count else { throw failure("unexpected end of the text") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw failure("unexpected character")
        }
    }

    private mutating func object() throws -> MetaJSON {
        var members: [MetaJSON.Member] = []
        if try enter(closedBy: UInt8(ascii: "}")) { return .object(members) }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw failure("expected a key") }
            let key = try string()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw failure("expected ':'") }
            position += 1
            members.append(MetaJSON.Member(key, try value()))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                leave()
                return .object(Self.sortedByKey(members))
            default: throw failure("expected ',' or '}'")
            }
        }
    }

    /// Members sorted by key; of equal keys, the last one.
    private static func sortedByKey(_ members: [MetaJSON.Member]) -> [MetaJSON.Member] {
        guard members.count > 1 else { return members }
        let ordered = members.enumerated().sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }.map(\.element)
        var unique: [MetaJSON.Member] = []
        unique.reserveCapacity(ordered.count)
        for member in ordered {
            if unique.last?.key == member.key {
                unique[unique.count - 1] = member
            } else {
                unique.append(member)
            }
        }
        return unique
    }

    private mutating func array() throws -> MetaJSON {
        var elements: [MetaJSON] = []
        if try enter(closedBy: UInt8(ascii: "]")) { return .array(elements) }
        while true {
            elements.append(try value())
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                leave()
                return .array(elements)
            default: throw failure("expected ',' or ']'")
            }
        }
    }

    /// Steps over the opening bracket under `position` and any whitespace after it.
    /// - Returns: `true` when `closing` follows at once (an empty container, already left).
    private mutating func enter(closedBy closing: UInt8) throws -> Bool {
        depth += 1
        guard depth <= Self.maximumDepth else { throw failure("nested too deeply") }
        position += 1
        skipWhitespace()
        guard peek() == closing else { return false }
        leave()
        return true
    }

    /// Steps over the closing bracket under `position`.
    private mutating func leave() {
        position += 1
        depth -= 1
    }

    private mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw failure("unexpected end of the text") }
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: count)
        for offset in 0..<count where bytes[position + offset] != expected[offset] {
            throw failure("unexpected character")
        }
        position += count
    }

    // MARK: Numbers

    private mutating func number() throws -> MetaJSON {
        let start = position
        var isInteger = true
        if peek() == UInt8(ascii: "-") { position += 1 }
        guard let first = peek(), Self.isDigit(first) else { throw failure("expected a digit") }
        if first == UInt8(ascii: "0") {
            position += 1
        } else {
            skipDigits()
        }
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard let digit = peek(), Self.isDigit(digit) else { throw failure("expected a digit after '.'") }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            guard let digit = peek(), Self.isDigit(digit) else { throw failure("expected a digit in the exponent") }
            skipDigits()
        }
        let text = UnsafeBufferPointer(rebasing: bytes[start..<position])
        if isInteger, let number = Self.integer(text) { return .integer(number) }
        guard let number = Double(String(decoding: text, as: UTF8.self)), number.isFinite else {
            throw failure("number out of range")
        }
        return .double(number)
    }

    /// A decimal integer (optionally negative) of validated digits, or `nil` when it does not fit.
    private static func integer(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        let negative = text.first == UInt8(ascii: "-")
        var magnitude: Int64 = 0
        for digit in text.dropFirst(negative ? 1 : 0) {
            let (shifted, overflowA) = magnitude.multipliedReportingOverflow(by: 10)
            // Accumulate negatively so that Int64.min fits.
            let (next, overflowB) = shifted.subtractingReportingOverflow(Int64(digit &- UInt8(ascii: "0")))
            if overflowA || overflowB { return nil }
            magnitude = next
        }
        if negative { return magnitude }
        let (positive, overflow) = (0 as Int64).subtractingReportingOverflow(magnitude)
        return overflow ? nil : positive
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func skipDigits() {
        while position < bytes.count, Self.isDigit(bytes[position]) { position += 1 }
    }

    // MARK: Strings

    /// The string starting at the opening quote under `position`.
    private mutating func string() throws -> String {
        position += 1
        let start = position
        // The common case: no escapes, so the text is a slice of the input.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text = try Self.text(UnsafeBufferPointer(rebasing: bytes[start..<position]))
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw failure("control character in a string") }
            position += 1
        }
        var unescaped = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return try unescaped.withUnsafeBufferPointer(Self.text)
            case UInt8(ascii: "\\"):
                position += 1
                try escape(into: &unescaped)
            default:
                guard byte >= 0x20 else { throw failure("control character in a string") }
                unescaped.append(byte)
                position += 1
            }
        }
        throw failure("unterminated string")
    }

    private static func text(_ utf8: UnsafeBufferPointer<UInt8>) throws -> String {
        // Meta escapes everything beyond ASCII (`\uXXXX`), so nearly every string is ASCII,
        // which decodes without validation (nothing in it can be repaired).
        if utf8.allSatisfy({ $0 < 0x80 }) { return String(decoding: utf8, as: UTF8.self) }
        guard let text = String(validating: utf8, as: UTF8.self) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "a string is not valid UTF-8"))
        }
        return text
    }

    /// The escape after a backslash, appended as UTF-8.
    private mutating func escape(into output: inout [UInt8]) throws {
        guard let byte = peek() else { throw failure("unterminated string") }
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(byte)
        case UInt8(ascii: "b"): output.append(0x08)
        case UInt8(ascii: "f"): output.append(0x0C)
        case UInt8(ascii: "n"): output.append(0x0A)
        case UInt8(ascii: "r"): output.append(0x0D)
        case UInt8(ascii: "t"): output.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try hexUnit()
            let scalar: Unicode.Scalar?
            switch unit {
            case 0xD800...0xDBFF:
                guard peek() == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u") else {
                    throw failure("unpaired surrogate")
                }
                position += 2
                let low = try hexUnit()
                guard (0xDC00...0xDFFF).contains(low) else { throw failure("unpaired surrogate") }
                scalar = Unicode.Scalar(0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00))
            case 0xDC00...0xDFFF:
                throw failure("unpaired surrogate")
            default:
                scalar = Unicode.Scalar(unit)
            }
            guard let scalar else { throw failure("invalid escape") }
            output.append(contentsOf: UTF8.encode(scalar)!)
        default:
            throw failure("invalid escape")
        }
    }

    private mutating func hexUnit() throws -> UInt16 {
        guard position + 4 <= bytes.count else { throw failure("unterminated escape") }
        var unit: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("invalid \\u escape")
            }
            unit = unit << 4 | UInt16(digit)
            position += 1
        }
        return unit
    }

    // MARK: Helpers

    private func peek() -> UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private func failure(_ reason: String) -> DecodingError {
        DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "\(reason) at byte \(position)"))
    }
}
