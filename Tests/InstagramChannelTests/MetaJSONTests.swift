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
}
