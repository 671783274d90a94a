import ChannelKit
import Foundation
import StoreSupport
import Testing

/// Rows as they sit in existing databases: written by ``StoredJSON`` (events, reply parts) or
/// by `JSONEncoder` (older rows, and the preferences and erasure records it wrote until
/// ``StoredJSON`` became the one writer of stored JSON). They must keep reading back, and
/// ``StoredJSON`` must keep writing the same bytes.
@Suite("Stored rows")
struct StoredRowsTests {
    static let instant = Date(timeIntervalSince1970: 1_760_000_000.123)

    static func instagram(_ id: String, _ kind: InboundEvent.Kind) -> InboundEvent {
        InboundEvent(channel: "instagram", accountID: "17841400000000000", senderID: "1254459154682919",
                     platformMessageID: id, timestamp: instant, kind: kind)
    }

    /// Events and the rows `StoredJSON` wrote for them, byte for byte.
    static let eventRows: [(InboundEvent, String)] = [
        (instagram("m1", .message(InboundMessage(text: "Bonjour \"Sandra\" / ça va ? 👋\nline two"))),
         #"{"channel":"instagram","accountID":"17841400000000000","senderID":"1254459154682919","platformMessageID":"m1","timestamp":781692800.1229999,"kind":{"message":{"_0":{"text":"Bonjour \"Sandra\" \/ ça va ? 👋\nline two","attachments":[]}}}}"#),
        (instagram("m2", .message(InboundMessage(
            attachments: [
                Attachment(kind: .image, platformType: "image", url: "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1&signature=a/b+c=="),
                Attachment(kind: .audio, platformType: "voice", mediaID: "1234567890", mimeType: "audio/ogg; codecs=opus", title: "note.ogg"),
            ],
            replyTo: .story(id: "s1", url: "https://cdn.example/s.jpg"), referral: Referral(ref: "ad", source: "ADS", type: "OPEN_THREAD")))),
         #"{"channel":"instagram","accountID":"17841400000000000","senderID":"1254459154682919","platformMessageID":"m2","timestamp":781692800.1229999,"kind":{"message":{"_0":{"attachments":[{"kind":"image","platformType":"image","url":"https:\/\/lookaside.fbsbx.com\/ig_messaging_cdn\/?asset_id=1&signature=a\/b+c=="},{"kind":"audio","platformType":"voice","mediaID":"1234567890","mimeType":"audio\/ogg; codecs=opus","title":"note.ogg"}],"replyTo":{"story":{"id":"s1","url":"https:\/\/cdn.example\/s.jpg"}},"referral":{"ref":"ad","source":"ADS","type":"OPEN_THREAD"}}}}}"#),
        (instagram("m3", .message(InboundMessage(text: "Yes", quickReplyPayload: "ANSWER_YES", replyTo: .message(id: "m0")))),
         #"{"channel":"instagram","accountID":"17841400000000000","senderID":"1254459154682919","platformMessageID":"m3","timestamp":781692800.1229999,"kind":{"message":{"_0":{"text":"Yes","attachments":[],"quickReplyPayload":"ANSWER_YES","replyTo":{"message":{"id":"m0"}}}}}}"#),
        (instagram("p1", .postback(Postback(title: "Get started", payload: "GET_STARTED", referral: Referral(source: "SHORTLINK")))),
         #"{"channel":"instagram","accountID":"17841400000000000","senderID":"1254459154682919","platformMessageID":"p1","timestamp":781692800.1229999,"kind":{"postback":{"_0":{"title":"Get started","payload":"GET_STARTED","referral":{"source":"SHORTLINK"}}}}}"#),
        (InboundEvent(channel: "whatsapp", accountID: "106540352242922", senderID: "US.13491208655302741918", platformMessageID: "wamid.b1",
                      timestamp: Date(timeIntervalSince1970: 1_749_416_383),
                      kind: .ignored(IgnoredEvent(reason: .status, targetMessageID: "wamid.out", detail: "delivered")),
                      alternativeSenderIDs: ["16505551234"], replyAddress: "16505551234"),
         #"{"channel":"whatsapp","accountID":"106540352242922","senderID":"US.13491208655302741918","alternativeSenderIDs":["16505551234"],"replyAddress":"16505551234","platformMessageID":"wamid.b1","timestamp":771109183.0,"kind":{"ignored":{"_0":{"reason":"status","targetMessageID":"wamid.out","detail":"delivered"}}}}"#),
    ]

    /// The same events as `JSONEncoder` wrote them: keys in hash order, a whole timestamp without `.0`.
    static let encoderRows: [(Int, String)] = [
        (2, #"{"platformMessageID":"m3","channel":"instagram","accountID":"17841400000000000","senderID":"1254459154682919","timestamp":781692800.1229999,"kind":{"message":{"_0":{"quickReplyPayload":"ANSWER_YES","replyTo":{"message":{"id":"m0"}},"text":"Yes","attachments":[]}}}}"#),
        (3, #"{"accountID":"17841400000000000","senderID":"1254459154682919","channel":"instagram","platformMessageID":"p1","timestamp":781692800.1229999,"kind":{"postback":{"_0":{"payload":"GET_STARTED","referral":{"source":"SHORTLINK"},"title":"Get started"}}}}"#),
        (4, #"{"kind":{"ignored":{"_0":{"targetMessageID":"wamid.out","detail":"delivered","reason":"status"}}},"platformMessageID":"wamid.b1","accountID":"106540352242922","alternativeSenderIDs":["16505551234"],"channel":"whatsapp","timestamp":771109183,"replyAddress":"16505551234","senderID":"US.13491208655302741918"}"#),
    ]

    @Test("event rows as stored read back, and the writer still writes them byte for byte")
    func eventRows() throws {
        for (event, row) in Self.eventRows {
            #expect(try StoredValues.decode(InboundEvent.self, json: row, column: "inbox.event_json") == event, "\(row)")
            #expect(StoredJSON.encode(event) == row)
        }
    }

    @Test("event rows JSONEncoder wrote read back the same")
    func encoderEventRows() throws {
        for (index, row) in Self.encoderRows {
            #expect(try StoredValues.decode(InboundEvent.self, json: row, column: "inbox.event_json") == Self.eventRows[index].0, "\(row)")
        }
    }

    @Test("reply part rows as stored read back, and the writer still writes them byte for byte")
    func partRows() throws {
        let rows: [(OutboundMessage, String)] = [
            (OutboundMessage(text: "plain"), #"{"text":"plain","quickReplies":[]}"#),
            (OutboundMessage(text: "Pick one:\n- a/b", quickReplies: [QuickReply(title: "Yes", payload: "Y"), QuickReply(title: "Non, merci", payload: "N")]),
             #"{"text":"Pick one:\n- a\/b","quickReplies":[{"title":"Yes","payload":"Y"},{"title":"Non, merci","payload":"N"}]}"#),
        ]
        for (part, row) in rows {
            #expect(try StoredValues.decode(OutboundMessage.self, json: row, column: "outbox.message_json") == part, "\(row)")
            #expect(StoredJSON.encode(part) == row)
        }
    }

    @Test("preferences and erasure channels: JSONEncoder's rows read back, the writer's rows are sorted and read back exactly")
    func preferencesAndChannels() throws {
        let preferences = ["language": "fr", "tone": "short / \"plain\"", "émoji": "👋\n"]
        let oldRow = #"{"tone":"short \/ \"plain\"","language":"fr","émoji":"👋\n"}"#
        #expect(try StoredValues.decode([String: String].self, json: oldRow, column: "preferences_json") == preferences)
        let row = StoredJSON.encode(preferences)
        #expect(row == #"{"language":"fr","tone":"short \/ \"plain\"","émoji":"👋\n"}"#)
        #expect(try StoredValues.decode([String: String].self, json: row, column: "preferences_json") == preferences)
        #expect(StoredJSON.encode([String: String]()) == "{}")

        let channels = ["instagram", "whatsapp", StoredJSONTests.awkward]
        let channelsRow = StoredJSON.encode(channels)
        #expect(try StoredValues.decode([String].self, json: channelsRow, column: "channels") == channels)
        #expect(try StoredValues.decode([String].self, json: #"["instagram","whatsapp"]"#, column: "channels") == ["instagram", "whatsapp"])
        #expect(StoredJSON.encode(["instagram", "whatsapp"]) == #"["instagram","whatsapp"]"#)
        #expect(StoredJSON.encode([String]()) == "[]")
    }
}
