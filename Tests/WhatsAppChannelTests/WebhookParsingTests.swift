import ChannelKit
import Foundation
import MetaPlatform
import Testing
import WhatsAppChannel

/// Real-shaped Cloud API webhook bodies (as Meta's reference and recorded payloads show them)
/// through the channel's `handle`.
@Suite("WhatsApp webhook parsing")
struct WebhookParsingTests {
    @Test("a text message: wamid, sender, phone number id, epoch seconds as a string, escaped text")
    func text() throws {
        let item = messageItem(type: "text", #"{"body":"Oi uma mensagem simples com icone \ud83e\udd18 \/ ok"}"#)
        let event = try singleEvent(envelope(#""contacts":[{"profile":{"name":"Kerry"},"wa_id":"16505551234"}],"messages":[\#(item)]"#))
        #expect(event.channel == "whatsapp")
        #expect(event.accountID == TestSecrets.phoneNumberID)
        #expect(event.senderID == "16505551234")
        #expect(event.platformMessageID == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=")
        #expect(event.timestamp == Date(timeIntervalSince1970: 1_749_416_383))
        #expect(try message(of: event).text == "Oi uma mensagem simples com icone 🤘 / ok")
    }

    @Test("a reply quotes the message it answers")
    func contextReply() throws {
        let item = messageItem(type: "text", #"{"body":"yes"}"#, extra: #""context":{"from":"15550783881","id":"wamid.original"},"#)
        let event = try singleEvent(envelope(#""messages":[\#(item)]"#))
        #expect(try message(of: event).replyTo == .message(id: "wamid.original"))
    }

    @Test("image, video, document and sticker: media id, MIME type, caption as text, filename as title")
    func media() throws {
        let image = try message(of: singleEvent(envelope(#""messages":[\#(messageItem(type: "image", #"{"caption":"my cat","mime_type":"image\/jpeg","sha256":"mW6JJjHQW9jNsj1CRPxWBRJhfJnBFePHAb\/1WHmD5qc=","id":"1761991787669262"}"#))]"#)))
        #expect(image.text == "my cat")
        #expect(image.attachments == [Attachment(kind: .image, platformType: "image", mediaID: "1761991787669262", mimeType: "image/jpeg")])

        let document = try message(of: singleEvent(envelope(#""messages":[\#(messageItem(type: "document", #"{"filename":"Cota\u00e7\u00e3o-10.pdf","mime_type":"application\/pdf","sha256":"x","id":"42"}"#))]"#)))
        #expect(document.attachments.first?.kind == .file)
        #expect(document.attachments.first?.title == "Cotação-10.pdf")
        #expect(document.text == nil)

        let video = try message(of: singleEvent(envelope(#""messages":[\#(messageItem(type: "video", #"{"mime_type":"video\/mp4","id":"43"}"#))]"#)))
        #expect(video.attachments.first?.kind == .video)
        let sticker = try message(of: singleEvent(envelope(#""messages":[\#(messageItem(type: "sticker", #"{"mime_type":"image\/webp","id":"44","animated":false}"#))]"#)))
        #expect(sticker.attachments.first?.kind == .sticker)
    }

    @Test("audio and voice notes are told apart by voice: true")
    func audioAndVoice() throws {
        let voice = try message(of: singleEvent(envelope(#""messages":[\#(messageItem(type: "audio", #"{"mime_type":"audio\/ogg; codecs=opus","sha256":"abc","id":"51","voice":true}"#))]"#)))
        #expect(voice.attachments == [Attachment(kind: .audio, platformType: "voice", mediaID: "51", mimeType: "audio/ogg; codecs=opus")])
        let audio = try message(of: singleEvent(envelope(#""messages":[\#(messageItem(type: "audio", #"{"mime_type":"audio\/mpeg","id":"52","voice":false}"#))]"#)))
        #expect(audio.attachments.first?.platformType == "audio")
    }

    @Test("button and list replies are quick replies; template buttons are postbacks")
    func buttons() throws {
        let button = try message(of: singleEvent(envelope(#""messages":[\#(messageItem(type: "interactive", #"{"type":"button_reply","button_reply":{"id":"opt-yes","title":"Yes"}}"#, extra: #""context":{"from":"15550783881","id":"wamid.ask"},"#))]"#)))
        #expect(button.text == "Yes")
        #expect(button.quickReplyPayload == "opt-yes")
        #expect(button.replyTo == .message(id: "wamid.ask"))
        let list = try message(of: singleEvent(envelope(#""messages":[\#(messageItem(type: "interactive", #"{"type":"list_reply","list_reply":{"id":"row-2","title":"Tuesday","description":"10am"}}"#))]"#)))
        #expect(list.text == "Tuesday" && list.quickReplyPayload == "row-2")

        let template = try singleEvent(envelope(#""messages":[\#(messageItem(type: "button", #"{"text":"Stop promotions","payload":"STOP"}"#))]"#))
        #expect(template.kind == .postback(Postback(title: "Stop promotions", payload: "STOP")))
    }

    @Test("reactions and their removal are recorded, never answered")
    func reactions() throws {
        let react = try singleEvent(envelope(#""messages":[\#(messageItem(id: "wamid.r1", type: "reaction", #"{"message_id":"wamid.out1","emoji":"\ud83d\udc4d"}"#))]"#))
        #expect(try ignored(react) == IgnoredEvent(reason: .reaction, targetMessageID: "wamid.out1", detail: "react 👍"))
        let removed = try singleEvent(envelope(#""messages":[\#(messageItem(id: "wamid.r2", type: "reaction", #"{"message_id":"wamid.out1"}"#))]"#))
        #expect(try ignored(removed).detail == "unreact")
        #expect(!react.isAnswerable && !removed.isAnswerable)
    }

    @Test("locations and contacts arrive as descriptive text")
    func locationAndContacts() throws {
        let location = try message(of: singleEvent(envelope(#""messages":[\#(messageItem(type: "location", #"{"latitude":52.52,"longitude":13.405,"name":"Alexanderplatz","address":"10178 Berlin"}"#))]"#)))
        #expect(location.text == "[Location] Alexanderplatz, 10178 Berlin (52.52, 13.405)")
        let contacts = try message(of: singleEvent(envelope(#""messages":[{"from":"16505551234","id":"wamid.c","timestamp":"1749416383","type":"contacts","contacts":[{"name":{"formatted_name":"Jane Doe","first_name":"Jane"},"phones":[{"phone":"+1 555 0100","type":"CELL"}],"emails":[{"email":"jane@example.com"}]}]}]"#)))
        #expect(contacts.text == "[Contact] Jane Doe, phone +1 555 0100, email jane@example.com")
    }

    @Test("statuses are recorded per message and status, never answered; failures keep their code")
    func statuses() throws {
        let body = envelope(#""statuses":[{"id":"wamid.out1","status":"sent","timestamp":"1749416390","recipient_id":"16505551234","pricing":{"billable":true}},{"id":"wamid.out1","status":"delivered","timestamp":"1749416391","recipient_id":"16505551234"},{"id":"wamid.out2","status":"failed","timestamp":"1749416392","recipient_id":"16505551234","errors":[{"code":131047,"title":"Re-engagement message"}]}]"#)
        let all = try events(body)
        #expect(all.map(\.platformMessageID) == ["status:wamid.out1:sent", "status:wamid.out1:delivered", "status:wamid.out2:failed"])
        #expect(all.allSatisfy { !$0.isAnswerable && $0.senderID == "16505551234" })
        #expect(try ignored(all[2]) == IgnoredEvent(reason: .status, targetMessageID: "wamid.out2", detail: "failed 131047"))
    }

    @Test("errors outside messages are recorded with a stable id; unsupported messages are answered; system messages are not")
    func errorsAndUnsupported() throws {
        let errorBody = envelope(#""errors":[{"code":131051,"title":"Message type unknown","message":"Message type unknown","error_data":{"details":"Message type is currently not supported."}}]"#)
        let first = try singleEvent(errorBody)
        let again = try singleEvent(errorBody)
        #expect(first.platformMessageID == again.platformMessageID)
        #expect(first.platformMessageID.hasPrefix("error:\(TestSecrets.phoneNumberID):131051:"))
        #expect(!first.isAnswerable)

        let unsupported = try singleEvent(envelope(#""messages":[{"from":"16505551234","id":"wamid.u","timestamp":"1749416383","type":"unsupported","errors":[{"code":131051,"title":"Message type unknown"}]}]"#))
        #expect(try message(of: unsupported) == InboundMessage(attachments: [Attachment(kind: .unsupported, platformType: "unsupported 131051")]))
        let system = try singleEvent(envelope(#""messages":[{"from":"16505551234","id":"wamid.s","timestamp":"1749416383","type":"system","system":{"body":"changed number","type":"customer_identity_changed"}}]"#))
        #expect(try ignored(system).detail == "system:customer_identity_changed")
    }

    @Test("echoes of the WhatsApp Business app's messages are a person's replies, never answered; other fields are recorded as unknown")
    func echoesAndOtherFields() throws {
        let echo = try singleEvent(envelope(field: "smb_message_echoes", #""message_echoes":[{"from":"15550783881","to":"16505551234","id":"wamid.echo1","timestamp":"1749416400","type":"text","text":{"body":"sent from the app"}}]"#))
        #expect(echo.senderID == "16505551234")
        // The WhatsApp Business app's (coexistence): the pipeline tells them from this host's by the message id.
        #expect(echo.kind == .echo(Echo(text: "sent from the app")))
        #expect(!echo.isAnswerable && echo.takesTurn)
        let quality = try singleEvent(#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"display_phone_number":"15550783881","event":"FLAGGED","current_limit":"TIER_1K"},"field":"phone_number_quality_update"}]}]}"#)
        #expect(try ignored(quality).detail == "change:phone_number_quality_update")
        // Conversation Routing: standby copies and handover notices are recorded as such, never answered.
        let standby = try singleEvent(#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"\#(TestSecrets.phoneNumberID)"}},"field":"standby"}]}]}"#)
        #expect(try ignored(standby).reason == .standby)
        let handover = try singleEvent(#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"\#(TestSecrets.phoneNumberID)"},"type":"control_taken"},"field":"messaging_handovers"}]}]}"#)
        #expect(try ignored(handover).reason == .handover)
    }

    @Test("several messages in one change, and messages to another phone number are recorded, not answered")
    func batchAndRouting() throws {
        let items = [messageItem(id: "wamid.a", type: "text", #"{"body":"one"}"#), messageItem(id: "wamid.b", type: "text", #"{"body":"two"}"#, timestamp: "1749416384")]
        let batch = try events(envelope(#""messages":[\#(items.joined(separator: ","))]"#))
        #expect(batch.map(\.platformMessageID) == ["wamid.a", "wamid.b"])

        let foreign = try singleEvent(envelope(phoneNumberID: "999999999999", #""messages":[\#(items[0])]"#))
        #expect(!foreign.isAnswerable)
        #expect(foreign.accountID == "999999999999")
        // With no phone_number_id configured, every number is answered, from the number it was sent to.
        let open = try makeChannel(settings(["phone_number_id": ""]))
        let answered = try #require(events(envelope(phoneNumberID: "999999999999", #""messages":[\#(items[0])]"#), channel: open).first)
        #expect(answered.isAnswerable && answered.accountID == "999999999999")
    }

    @Test("signed bodies that are not WhatsApp webhooks at all are malformed; bad signatures are forbidden")
    func refusals() async throws {
        let channel = try makeChannel()
        for body in [#"{"object":"instagram","entry":[]}"#, #"{"object":"whatsapp_business_account","entry":{}}"#,
                     #"{"entry":[]}"#, #"["whatsapp_business_account"]"#, "{"] {
            let error = await channelError { _ = try channel.handle(signedDelivery(body), logger: testLogger) }
            #expect(error?.code == .malformedPayload, "\(body)")
        }
        let forged = await channelError { _ = try channel.handle(signedDelivery(envelope(#""messages":[]"#), secret: "nope"), logger: testLogger) }
        #expect(forged?.code == .forbidden)
    }
}
