import MetaPlatform
import Testing

@Suite("MetaJSON")
struct MetaJSONTests {
    static let value: MetaJSON = [
        "text": "äöå 🤘 a/b \"q\" \\ \n\t\u{01}",
        "n": 1569262486134,
        "ok": true,
        "none": nil,
        "list": [1, "x"],
    ]

    @Test func metaWebhookStyleIsASCIIWithLowercaseEscapes() {
        let encoded = Self.value.encodedString(style: .metaWebhook)
        #expect(encoded == #"{"text":"\u00e4\u00f6\u00e5 \ud83e\udd18 a\/b \"q\" \\ \n\t\u0001","n":1569262486134,"ok":true,"none":null,"list":[1,"x"]}"#)
        #expect(Self.value.encoded(style: .metaWebhook).allSatisfy { $0 < 0x80 })
    }

    @Test func asciiTextIsEscapedTheSameWayInEitherStyle() {
        let ascii: MetaJSON = ["text": "a/b \"q\" \\ \r\n\t\u{08}\u{0C}\u{01}\u{1F} end"]
        #expect(ascii.encodedString(style: .metaWebhook) == #"{"text":"a\/b \"q\" \\ \r\n\t\b\f\u0001\u001f end"}"#)
        #expect(ascii.encodedString() == #"{"text":"a/b \"q\" \\ \r\n\t\b\f\u0001\u001f end"}"#)
    }

    @Test func compactStyleKeepsUTF8AndSlashes() {
        #expect(Self.value.encodedString() == "{\"text\":\"äöå 🤘 a/b \\\"q\\\" \\\\ \\n\\t\\u0001\",\"n\":1569262486134,\"ok\":true,\"none\":null,\"list\":[1,\"x\"]}")
    }

    @Test(arguments: [MetaJSON.Style.compact, .metaWebhook])
    func roundTrips(_ style: MetaJSON.Style) throws {
        let decoded = try MetaJSON.decode(Self.value.encoded(style: style))
        #expect(decoded["text"]?.stringValue == Self.value["text"]?.stringValue)
        #expect(decoded["n"]?.integerValue == 1569262486134)
        #expect(decoded["ok"]?.boolValue == true)
        #expect(decoded["none"]?.isNull == true)
        #expect(decoded["list"]?.arrayValue == [1, "x"])
    }

    @Test func decodesNumbersAndIDs() throws {
        let value = try MetaJSON.decode(Array(#"{"a":"123","b":456,"c":1.5,"d":2.0,"e":false}"#.utf8))
        #expect(value["a"]?.idValue == "123")
        #expect(value["a"]?.integerValue == 123)
        #expect(value["b"]?.idValue == "456")
        #expect(value["c"]?.integerValue == nil)
        #expect(value["d"]?.integerValue == 2)
        #expect(value["e"]?.boolValue == false)
        #expect(value["e"]?.integerValue == nil)
    }

    @Test func rejectsInvalidJSON() {
        #expect(throws: (any Error).self) { try MetaJSON.decode(Array(#"{"a":"#.utf8)) }
        #expect(throws: (any Error).self) { try MetaJSON.decode(Array("\u{FF}".utf8)) }
    }

    @Test func decodesEscapesWhitespaceAndNumbers() throws {
        let value = try MetaJSON.decode(Array(#" { "s" : "a\"b\\c\/d\n\u00e4\ud83e\udd18" , "n" : [ -0, -12, 9223372036854775807, 9223372036854775808, 1e3, -2.5E-1 ] } "#.utf8))
        #expect(value["s"]?.stringValue == "a\"b\\c/d\nä🤘")
        #expect(value["n"]?.arrayValue == [.integer(0), .integer(-12), .integer(.max), .double(9223372036854775808), .double(1000), .double(-0.25)])
    }

    @Test func objectsKeepTheLastOfDuplicateKeysAndSortKeys() throws {
        let value = try MetaJSON.decode(Array(#"{"b":1,"a":2,"b":3}"#.utf8))
        #expect(value.objectValue?.map(\.key) == ["a", "b"])
        #expect(value["b"]?.integerValue == 3)
    }

    @Test func rejectsMalformedText() throws {
        for text in [#"{"a":1,}"#, "[1 2]", #""\ud83e""#, #""\x""#, "\"a\u{01}\"", "01", "-", "1.", "tru", "[1] x", ""] {
            #expect(throws: (any Error).self, "\(text)") { try MetaJSON.decode(Array(text.utf8)) }
        }
        #expect(throws: (any Error).self) { try MetaJSON.decode([0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: (any Error).self, "a lone continuation byte after ASCII") { try MetaJSON.decode([0x22, 0x61, 0x80, 0x22]) }
        #expect(try MetaJSON.decode(Array("\"ä 🤘\"".utf8)) == .string("ä 🤘"), "raw UTF-8 (unescaped) is read as it is")
        #expect(throws: (any Error).self) { try MetaJSON.decode(Array((String(repeating: "[", count: 600) + String(repeating: "]", count: 600)).utf8)) }
        #expect(throws: Never.self) { try MetaJSON.decode(Array((String(repeating: "[", count: 500) + String(repeating: "]", count: 500)).utf8)) }
    }
}
