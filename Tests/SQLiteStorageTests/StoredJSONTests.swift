import ChannelKit
import Foundation
import StoreSupport
import Testing

@Suite("Stored JSON")
struct StoredJSONTests {
    static let awkward = "quote \" backslash \\ slash / newline \n tab \t bell \u{07} nul \u{00} é 👋🏽 \u{2028} end"

    static let events: [InboundEvent] = {
        let base = Date(timeIntervalSince1970: 1_760_000_000.123)
        func event(_ id: String, _ kind: InboundEvent.Kind, at date: Date = base) -> InboundEvent {
            InboundEvent(channel: "instagram", accountID: "17841400000000000", senderID: "1254459154682919",
                         platformMessageID: id, timestamp: date, kind: kind)
        }
        return [
            event("m1", .message(InboundMessage(text: "hello"))),
            event("m2", .message(InboundMessage(text: awkward, quickReplyPayload: awkward))),
            event("m3", .message(InboundMessage(
                text: nil,
                attachments: [
                    Attachment(kind: .image, platformType: "image", url: "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1&signature=a/b+c=="),
                    Attachment(kind: .audio, platformType: "audio", url: nil, mediaID: "wamid.1", mimeType: "audio/ogg; codecs=opus", title: awkward),
                ],
                replyTo: .story(id: "s1", url: "https://cdn.example/s.jpg"),
                referral: Referral(ref: "ad", source: "ADS", type: "OPEN_THREAD")))),
            event("m4", .message(InboundMessage(text: "re", replyTo: .message(id: "m0")))),
            event("m5", .message(InboundMessage(text: "story", replyTo: .story(id: "s2", url: nil)))),
            event("p1", .postback(Postback(title: "Get started", payload: "GET_STARTED", referral: Referral(ref: nil, source: "SHORTLINK", type: nil)))),
            event("p2", .postback(Postback())),
            event("i1", .ignored(IgnoredEvent(reason: .echo, targetMessageID: "m1", detail: awkward))),
            event("i2", .ignored(IgnoredEvent(reason: .reaction))),
            event("e1", .echo(Echo(text: awkward, attachments: [Attachment(kind: .image, platformType: "image", title: awkward)],
                                   appID: "263902037430900"))),
            event("e2", .echo(Echo(sentMessageID: "wamid.sent"))),
            event("c1", .control(ThreadControl(action: .take, appID: "777", previousAppID: "1517776481860111", metadata: awkward))),
            event("c2", .control(ThreadControl(action: .request))),
            event("t0", .message(InboundMessage(text: "epoch")), at: Date(timeIntervalSinceReferenceDate: 0)),
            event("t1", .message(InboundMessage(text: "odd time")), at: Date(timeIntervalSince1970: 1_700_000_000.000_1)),
            event("s1", .message(InboundMessage(attachments: [Attachment(kind: .story, platformType: "story_mention")],
                                                automaticReply: awkward))),
            InboundEvent(channel: "whatsapp", accountID: "106540352242922", senderID: "US.13491208655302741918",
                         platformMessageID: "wamid.b1", timestamp: base, kind: .message(InboundMessage(text: "hi")),
                         alternativeSenderIDs: ["16505551234", awkward], replyAddress: "16505551234"),
            InboundEvent(channel: "whatsapp", accountID: "106540352242922", senderID: "US.1",
                         platformMessageID: "wamid.b2", timestamp: base,
                         kind: .ignored(IgnoredEvent(reason: .identityChange, detail: "user_changed_user_id")),
                         alternativeSenderIDs: ["US.2"]),
        ]
    }()

    @Test("every kind of event reads back exactly, as JSONDecoder reads it")
    func eventsRoundTrip() throws {
        for event in Self.events {
            let json = StoredJSON.encode(event)
            let decoded = try JSONDecoder().decode(InboundEvent.self, from: Data(json.utf8))
            #expect(decoded == event, "\(json)")
            // And what JSONEncoder writes parses to the same JSON value: same keys, same shape.
            let ours = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? NSDictionary
            let theirs = try JSONSerialization.jsonObject(with: JSONEncoder().encode(event)) as? NSDictionary
            #expect(ours == theirs, "\(json)")
        }
    }

    @Test("reply parts read back exactly, quick replies included")
    func partsRoundTrip() throws {
        let parts = [
            OutboundMessage(text: "plain"),
            OutboundMessage(text: Self.awkward, quickReplies: [QuickReply(title: "Yes", payload: "Y"), QuickReply(title: Self.awkward, payload: "/")]),
        ]
        for part in parts {
            let json = StoredJSON.encode(part)
            #expect(try JSONDecoder().decode(OutboundMessage.self, from: Data(json.utf8)) == part, "\(json)")
            let ours = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? NSDictionary
            let theirs = try JSONSerialization.jsonObject(with: JSONEncoder().encode(part)) as? NSDictionary
            #expect(ours == theirs, "\(json)")
        }
    }
}
