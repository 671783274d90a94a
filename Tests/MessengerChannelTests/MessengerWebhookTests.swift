import ChannelKit
import Foundation
import Logging
import Testing

/// Messenger's webhook (`object: page`) in the shapes Meta documents for its `messages`,
/// `messaging_postbacks`, `message_echoes`, `message_reads`, `message_deliveries` and
/// `message_reactions` fields, serialized as Meta sends them.
@Suite("Messenger webhooks")
struct MessengerWebhookTests {
    static let psid = "6743128539012345"
    static let t: Int64 = 1_760_000_000_123

    private func single(_ key: String, _ value: String, fromPage: Bool = false) throws -> InboundEvent {
        let events = try Page.events(Page.webhook([[Page.item(Self.psid, Self.t, key, value, fromPage: fromPage)]]))
        try #require(events.count == 1)
        return events[0]
    }

    private func message(_ event: InboundEvent) throws -> InboundMessage {
        guard case .message(let message) = event.kind else { throw ChannelError.malformedPayload("not a message: \(event.kind)") }
        return message
    }

    private func ignored(_ event: InboundEvent) throws -> IgnoredEvent {
        guard case .ignored(let ignored) = event.kind else { throw ChannelError.malformedPayload("not ignored: \(event.kind)") }
        return ignored
    }

    @Test("a text message: the PSID, the Page as account, the mid, the time in milliseconds, the text unescaped")
    func text() throws {
        let event = try single("message", #"{"mid":"m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P","text":"Ol\u00e1, \u00e7a va? \ud83d\udc4b https:\/\/example.com"}"#)
        #expect(event.channel == "messenger")
        #expect(event.accountID == Page.id)
        #expect(event.senderID == Self.psid)
        #expect(event.platformMessageID == "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P")
        #expect(event.timestamp == Date(timeIntervalSince1970: 1_760_000_000.123))
        #expect(try message(event).text == "Olá, ça va? 👋 https://example.com")
        #expect(event.isAnswerable)
    }

    @Test("a quick-reply tap: the button's title as text and its payload")
    func quickReply() throws {
        let event = try single("message", #"{"mid":"m_qr1","text":"Opening hours","quick_reply":{"payload":"HOURS"}}"#)
        let inbound = try message(event)
        #expect(inbound.text == "Opening hours")
        #expect(inbound.quickReplyPayload == "HOURS")
    }

    @Test("a postback (Get Started, a persistent-menu or template button): its title and payload, keyed by its mid")
    func postback() throws {
        let event = try single("postback", #"{"title":"Get Started","payload":"GET_STARTED","mid":"m_pb1"}"#)
        guard case .postback(let postback) = event.kind else { Issue.record("expected a postback, got \(event.kind)"); return }
        #expect(postback.title == "Get Started")
        #expect(postback.payload == "GET_STARTED")
        #expect(event.platformMessageID == "m_pb1")
    }

    @Test("attachments: image, audio, video and file with payload.url; a shared link (fallback); a sticker is an image")
    func attachments() throws {
        let url = #"https:\/\/scontent.xx.fbcdn.net\/v\/t1.15752-9\/4567_n.jpg?_nc_cat=1&oh=00_Ab"#
        let event = try single("message", #"{"mid":"m_att","attachments":[{"type":"image","payload":{"url":"\#(url)"}},"#
            + #"{"type":"audio","payload":{"url":"https:\/\/cdn.fbsbx.com\/v\/t59.3654-21\/voice_n.mp4"}},"#
            + #"{"type":"video","payload":{"url":"https:\/\/video.xx.fbcdn.net\/v\/clip.mp4"}},"#
            + #"{"type":"file","payload":{"url":"https:\/\/cdn.fbsbx.com\/v\/t59.2708-21\/menu.pdf"}},"#
            + #"{"type":"fallback","payload":{"url":"https:\/\/example.com\/a","title":"A page"}},"#
            + #"{"type":"image","payload":{"url":"https:\/\/scontent.xx.fbcdn.net\/v\/sticker.png","sticker_id":369239263222822}}]}"#)
        let attachments = try message(event).attachments
        #expect(attachments.map(\.kind) == [.image, .audio, .video, .file, .share, .image])
        #expect(attachments[0].url == "https://scontent.xx.fbcdn.net/v/t1.15752-9/4567_n.jpg?_nc_cat=1&oh=00_Ab")
        #expect(attachments[1].url == "https://cdn.fbsbx.com/v/t59.3654-21/voice_n.mp4")
        #expect(attachments[4].title == "A page")
    }

    @Test("an echo of a message the Page sent belongs to the person's conversation, carries its text and app id for the pipeline to tell whose it was, and is never answered")
    func echo() throws {
        let event = try single("message", #"{"is_echo":true,"app_id":1517776481860111,"metadata":"sandra","mid":"m_echo","text":"Hi!"}"#, fromPage: true)
        #expect(event.senderID == Self.psid, "the conversation is the recipient's")
        #expect(event.kind == .echo(Echo(text: "Hi!", appID: "1517776481860111")))
        #expect(!event.isAnswerable && event.takesTurn)
    }

    @Test("a read (watermark), a delivery (mids, watermark) and a reaction are recorded with their reason, never answered")
    func receiptsAndReactions() throws {
        let read = try single("read", #"{"watermark":1759999999000}"#)
        #expect(try ignored(read).reason == .read)
        #expect(try ignored(read).targetMessageID == "1759999999000")
        let delivery = try single("delivery", #"{"mids":["m_sent_1"],"watermark":1759999999500}"#)
        #expect(try ignored(delivery) == IgnoredEvent(reason: .status, targetMessageID: "m_sent_1", detail: "delivered"))
        #expect(delivery.platformMessageID == "delivery:1759999999500:\(Self.psid):\(Self.t)")
        let reaction = try single("reaction", #"{"reaction":"love","emoji":"\u2764\ufe0f","action":"react","mid":"m_sent_1"}"#)
        #expect(try ignored(reaction).reason == .reaction)
        #expect(try ignored(reaction).targetMessageID == "m_sent_1")
        #expect([read, delivery, reaction].allSatisfy { !$0.isAnswerable })
    }

    @Test("a batched delivery: every entry and every item, in order")
    func batched() throws {
        let body = Page.webhook([
            [Page.item("1001", Self.t, "message", #"{"mid":"m_1","text":"one"}"#),
             Page.item("1002", Self.t + 1, "message", #"{"mid":"m_2","text":"two"}"#)],
            [Page.item("1001", Self.t + 2, "read", #"{"watermark":1760000000000}"#),
             Page.item("1003", Self.t + 3, "postback", #"{"title":"Menu","payload":"MENU","mid":"m_3"}"#)],
        ])
        let events = try Page.events(body)
        #expect(events.map(\.senderID) == ["1001", "1002", "1001", "1003"])
        #expect(events.map(\.isAnswerable) == [true, true, false, true])
    }

    @Test("one unreadable item is recorded as malformed and the rest of the delivery is kept")
    func unreadableItem() throws {
        let events = try Page.events(Page.webhook([[#"{"recipient":{"id":"\#(Page.id)"},"timestamp":1,"message":{"mid":"m_x","text":"who?"}}"#,
                                                    Page.item(Self.psid, Self.t, "message", #"{"mid":"m_ok","text":"fine"}"#)]]))
        #expect(events.count == 2)
        #expect(try ignored(events[0]).reason == .malformed)
        #expect(try ignored(events[0]).detail?.contains("messenger webhook: entry[0].messaging[0].sender.id is missing") == true)
        #expect(try message(events[1]).text == "fine")
    }

    /// The error `handle` refuses `request` with; `nil` when it is accepted.
    private func refusal(_ request: WebhookRequest) throws -> ChannelError? {
        do {
            _ = try Page.channel().handle(request, logger: Logger(label: "messenger-tests", factory: { _ in SwiftLogNoOpLogHandler() }))
            return nil
        } catch let error as ChannelError {
            return error
        }
    }

    @Test("a bad or missing signature is refused (403) before the body is read; an Instagram body is not a Page webhook (400)")
    func refused() throws {
        let body = Page.webhook([[Page.item(Self.psid, Self.t, "message", #"{"mid":"m_1","text":"hi"}"#)]])
        #expect(try refusal(Page.signed(body)) == nil)
        #expect(try refusal(Page.signed(body, secret: "not-the-app-secret"))?.code == .forbidden)
        var unsigned = Page.signed(body)
        unsigned.headers = [:]
        #expect(try refusal(unsigned)?.code == .forbidden)
        let instagram = body.replacingOccurrences(of: #""object":"page""#, with: #""object":"instagram""#)
        let wrongObject = try refusal(Page.signed(instagram))
        #expect(wrongObject?.code == .malformedPayload)
        #expect(wrongObject?.message.contains(#"not "page""#) == true)
    }
}
