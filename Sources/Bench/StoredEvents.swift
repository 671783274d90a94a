import ChannelKit
import Foundation

/// The events `SandraBench json` has the store's JSON write and read: one of each shape the
/// stores keep (a text message, a quick reply with an attachment and a reply reference, a
/// postback with a referral, a WhatsApp message keyed on a BSUID, a recorded status).
enum StoredEvents {
    static let all: [InboundEvent] = [
        InboundEvent(channel: "instagram", accountID: InstagramPayload.account, senderID: InstagramPayload.sender(42),
                     platformMessageID: InstagramPayload.mid(run: "json", sequence: 1), timestamp: Date(timeIntervalSince1970: 1_765_000_000.123),
                     kind: .message(InboundMessage(text: InstagramPayload.text(token: 1)))),
        InboundEvent(channel: "instagram", accountID: InstagramPayload.account, senderID: InstagramPayload.sender(7),
                     platformMessageID: InstagramPayload.mid(run: "json", sequence: 2), timestamp: Date(timeIntervalSince1970: 1_765_000_000.456),
                     kind: .message(InboundMessage(
                        text: "Oui", attachments: [Attachment(kind: .image, platformType: "image",
                                                              url: "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=17900000000000001")],
                        quickReplyPayload: "ANSWER_YES", replyTo: .story(id: "17900000000000002", url: "https://lookaside.fbsbx.com/s/2")))),
        InboundEvent(channel: "instagram", accountID: InstagramPayload.account, senderID: InstagramPayload.sender(7),
                     platformMessageID: InstagramPayload.mid(run: "json", sequence: 3), timestamp: Date(timeIntervalSince1970: 1_765_000_001),
                     kind: .postback(Postback(title: "Get started", payload: "GET_STARTED",
                                              referral: Referral(ref: "summer", source: "ADS", type: "OPEN_THREAD")))),
        InboundEvent(channel: "whatsapp", accountID: "106540352242922", senderID: "US.13491208655302741918",
                     platformMessageID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                     timestamp: Date(timeIntervalSince1970: 1_749_416_383),
                     kind: .message(InboundMessage(text: "Hello, I would like to know my order status")),
                     alternativeSenderIDs: ["16505551234"], replyAddress: "16505551234"),
        InboundEvent(channel: "whatsapp", accountID: "106540352242922", senderID: "US.13491208655302741918",
                     platformMessageID: "status:wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA:delivered",
                     timestamp: Date(timeIntervalSince1970: 1_749_416_391),
                     kind: .ignored(IgnoredEvent(reason: .status, targetMessageID: "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA",
                                                 detail: "delivered")),
                     alternativeSenderIDs: ["16505551234"]),
    ]
}
