import Foundation

/// A JSON value as Meta's webhooks and Graph API speak it: decoded from raw bytes, and written
/// back either compactly or the way Meta writes webhook bodies.
///
/// Objects keep their members in order, so a value built in code is written out exactly as it
/// was built (the order of keys in a request body is stable, and tests can compare bytes).
/// Equality follows JSON, not bytes: key order does not matter.
///
/// ```swift
/// let body: MetaJSON = ["recipient": ["id": "123"], "message": ["text": "Hi"]]
/// let bytes = body.encoded()                              // {"recipient":{"id":"123"},"message":{"text":"Hi"}}
/// let webhook = body.encoded(style: .metaWebhook)         // ASCII only, \uXXXX and \/ escapes
/// let value = try MetaJSON.decode(bytes)
/// value["recipient"]?["id"]?.stringValue                  // "123"
/// ```
public enum MetaJSON: Sendable, Equatable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A whole number that fits in 64 bits.
    case integer(Int64)
    /// Any other number.
    case double(Double)
    /// A string, unescaped.
    case string(String)
    /// An array.
    case array([MetaJSON])
    /// An object, with its members in order.
    case object([Member])

    /// One member of an object.
    public struct Member: Sendable, Equatable {
        /// The key.
        public var key: String
        /// The value.
        public var value: MetaJSON

        /// Creates a member.
        public init(_ key: String, _ value: MetaJSON) {
            self.key = key
            self.value = value
        }
    }

    // MARK: Access

    /// The value of the first member named `key`, when this is an object that has one.
    public subscript(key: String) -> MetaJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.key == key })?.value
    }

    /// The members, when this is an object.
    public var objectValue: [Member]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements, when this is an array.
    public var arrayValue: [MetaJSON]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The boolean, when this is `true` or `false`.
    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// The number as a whole number, when this is an integer, an integral double, or a string
    /// of decimal digits (Meta sends some ids and timestamps as strings).
    public var integerValue: Int64? {
        switch self {
        case .integer(let number): return number
        case .double(let number):
            guard number.isFinite, number.rounded() == number, abs(number) < 9.2e18 else { return nil }
            return Int64(number)
        case .string(let text): return Int64(text)
        default: return nil
        }
    }

    /// An identifier: a string as it is, or a whole number written in decimal.
    ///
    /// Meta's ids are strings; a number is accepted because some older payloads used them.
    public var idValue: String? {
        switch self {
        case .string(let text): return text
        case .integer(let number): return String(number)
        default: return nil
        }
    }

    /// Whether this is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// JSON equality: objects are equal when they have the same keys with equal values, in
    /// any order; arrays compare element by element; `1` and `1.0` are equal.
    public static func == (lhs: MetaJSON, rhs: MetaJSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.integer(let a), .integer(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b
        case (.integer(let a), .double(let b)), (.double(let b), .integer(let a)): return Double(a) == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            return a.allSatisfy { member in rhs[member.key] == member.value }
        default: return false
        }
    }
}

// MARK: - Literals

extension MetaJSON: ExpressibleByStringLiteral, ExpressibleByStringInterpolation, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    /// A string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// A whole number.
    public init(integerLiteral value: Int64) { self = .integer(value) }
    /// A number with a fraction.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// `true` or `false`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An array.
    public init(arrayLiteral elements: MetaJSON...) { self = .array(elements) }
    /// `null`.
    public init(nilLiteral: ()) { self = .null }
    /// An object whose members keep the literal's order.
    public init(dictionaryLiteral elements: (String, MetaJSON)...) {
        self = .object(elements.map { Member($0.0, $0.1) })
    }
}

extension MetaJSON {
    /// A string, or `null` when `text` is `nil`.
    public static func optional(_ text: String?) -> MetaJSON {
        text.map(MetaJSON.string) ?? .null
    }
}

// MARK: - Decoding

extension MetaJSON: Decodable {
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes any JSON value; objects' keys are sorted, since decoders do not keep their order.
    public init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: AnyKey.self) {
            // Keys come back in no particular order; sort them so a decoded value is stable.
            let keys = keyed.allKeys.sorted { $0.stringValue < $1.stringValue }
            self = .object(try keys.map { Member($0.stringValue, try keyed.decode(MetaJSON.self, forKey: $0)) })
            return
        }
        if var unkeyed = try? decoder.unkeyedContainer() {
            var elements: [MetaJSON] = []
            if let count = unkeyed.count { elements.reserveCapacity(count) }
            while !unkeyed.isAtEnd { elements.append(try unkeyed.decode(MetaJSON.self)) }
            self = .array(elements)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let flag = try? single.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? single.decode(Int64.self) {
            self = .integer(number)
        } else if let number = try? single.decode(Double.self) {
            self = .double(number)
        } else {
            self = .string(try single.decode(String.self))
        }
    }

    /// Decodes JSON text (RFC 8259, UTF-8), resolving every escape (`\uXXXX`, surrogate
    /// pairs, `\/`). Objects' keys are sorted (the last of duplicate keys wins), as when
    /// decoding through `Decodable`.
    ///
    /// Reads the bytes directly in one pass (``MetaJSONReader``), without a `Decoder`.
    /// - Parameter bytes: the JSON text.
    /// - Returns: the value.
    /// - Throws: `DecodingError` when the bytes are not JSON.
    public static func decode(_ bytes: some Collection<UInt8>) throws -> MetaJSON {
        if let value = try bytes.withContiguousStorageIfAvailable(readDocument) { return value }
        return try Array(bytes).withUnsafeBufferPointer(readDocument)
    }

    private static func readDocument(_ bytes: UnsafeBufferPointer<UInt8>) throws -> MetaJSON {
        var reader = MetaJSONReader(bytes)
        return try reader.document()
    }
}

// MARK: - Encoding

extension MetaJSON {
    /// How a value is written out.
    public enum Style: Sendable, Hashable {
        /// Compact UTF-8: non-ASCII text as it is, `/` unescaped. For request bodies.
        case compact
        /// The way Meta writes webhook bodies: compact, ASCII only, every non-ASCII scalar as
        /// `\uXXXX` with lowercase hex (surrogate pairs above U+FFFF) and `/` as `\/`.
        case metaWebhook
    }

    /// Writes the value as JSON text.
    /// - Parameter style: compact UTF-8 (the default) or Meta's webhook style.
    /// - Returns: the JSON bytes.
    public func encoded(style: Style = .compact) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(into: &output, style: style)
        return output
    }

    /// The JSON text as a string.
    /// - Parameter style: compact UTF-8 (the default) or Meta's webhook style.
    public func encodedString(style: Style = .compact) -> String {
        String(decoding: encoded(style: style), as: UTF8.self)
    }

    private func write(into output: inout [UInt8], style: Style) {
        switch self {
        case .null:
            output.append(contentsOf: "null".utf8)
        case .bool(let flag):
            output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let number):
            output.append(contentsOf: String(number).utf8)
        case .double(let number):
            if !number.isFinite {
                output.append(contentsOf: "null".utf8)
            } else if number.rounded() == number, abs(number) < 1e15 {
                output.append(contentsOf: String(Int64(number)).utf8)
            } else {
                output.append(contentsOf: "\(number)".utf8)
            }
        case .string(let text):
            Self.writeString(text, into: &output, style: style)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.write(into: &output, style: style)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.writeString(member.key, into: &output, style: style)
                output.append(UInt8(ascii: ":"))
                member.value.write(into: &output, style: style)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func appendUnicodeEscape(_ unit: UInt16, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\\"))
        output.append(UInt8(ascii: "u"))
        output.append(hexDigits[Int(unit >> 12 & 0xF)])
        output.append(hexDigits[Int(unit >> 8 & 0xF)])
        output.append(hexDigits[Int(unit >> 4 & 0xF)])
        output.append(hexDigits[Int(unit & 0xF)])
    }

    private static func writeString(_ text: String, into output: inout [UInt8], style: Style) {
        var text = text
        let written = text.withUTF8 { utf8 -> Bool in
            // Bytes written as they are go in runs; non-ASCII text in Meta's style is escaped
            // scalar by scalar below.
            if style == .metaWebhook, utf8.contains(where: { $0 >= 0x80 }) { return false }
            output.append(UInt8(ascii: "\""))
            var runStart = 0
            for (offset, byte) in utf8.enumerated()
            where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || (byte == UInt8(ascii: "/") && style == .metaWebhook) {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<offset]))
                writeEscaped(Unicode.Scalar(byte), into: &output)
                runStart = offset + 1
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
            output.append(UInt8(ascii: "\""))
            return true
        }
        guard !written else { return }
        output.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"", "\\":
                writeEscaped(scalar, into: &output)
            case "/" where style == .metaWebhook:
                writeEscaped(scalar, into: &output)
            default:
                if scalar.value < 0x20 {
                    writeEscaped(scalar, into: &output)
                } else if scalar.value < 0x80 || style == .compact {
                    UTF8.encode(scalar) { output.append($0) }
                } else {
                    UTF16.encode(scalar) { appendUnicodeEscape($0, into: &output) }
                }
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    /// The escape of a quote, a backslash, a slash or a control character.
    private static func writeEscaped(_ scalar: Unicode.Scalar, into output: inout [UInt8]) {
        let short: UInt8? = switch scalar {
        case "\"", "\\", "/": UInt8(scalar.value)
        case "\n": UInt8(ascii: "n")
        case "\r": UInt8(ascii: "r")
        case "\t": UInt8(ascii: "t")
        case "\u{08}": UInt8(ascii: "b")
        case "\u{0C}": UInt8(ascii: "f")
        default: nil
        }
        guard let short else { return appendUnicodeEscape(UInt16(scalar.value), into: &output) }
        output.append(UInt8(ascii: "\\"))
        output.append(short)
    }
}
