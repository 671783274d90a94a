/// The webhook bodies `SandraBench json` parses: the shapes Meta sends (and the channel tests
/// use), escaped the way Meta writes them (ASCII, `\uXXXX`, `\/`).
enum JSONBenchBodies {
    /// One named body.
    struct Body {
        let name: String
        let bytes: [UInt8]
    }

    static let all: [Body] = [
        Body(name: "instagram text", bytes: instagramText),
        Body(name: "instagram batch (3 entries)", bytes: instagramBatch),
        Body(name: "whatsapp text + contacts/BSUID", bytes: whatsAppText),
        Body(name: "whatsapp statuses (3)", bytes: whatsAppStatuses),
    ]

    /// The body `make bench` drives the host with: one entry, one text message.
    static let instagramText = InstagramPayload.body(
        sender: InstagramPayload.sender(42), mid: InstagramPayload.mid(run: "json", sequence: 1),
        text: InstagramPayload.text(token: 1), timestampMs: 1_765_000_000_000)

    /// Three entries: a text message, a quick reply tap with an image attachment beside it in a
    /// second item, a story reply, and a postback with a referral.
    static let instagramBatch: [UInt8] = {
        let account = InstagramPayload.account
        let user = InstagramPayload.sender(7)
        func item(_ millis: Int, _ content: String) -> String {
            #"{"sender":{"id":"\#(user)"},"recipient":{"id":"\#(account)"},"timestamp":\#(millis),\#(content)}"#
        }
        let first = item(1_765_000_000_001, #""message":{"mid":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAx","text":"Bonjour, \u00e7a va ? J'ai une question sur ma commande https:\/\/shop.example.com\/o\/123"}"#)
        let second = item(1_765_000_000_002, #""message":{"mid":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAy","text":"Oui","quick_reply":{"payload":"ANSWER_YES"}}"#)
        let third = item(1_765_000_000_003, #""message":{"mid":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAz","attachments":[{"type":"image","payload":{"url":"https:\/\/lookaside.fbsbx.com\/ig_messaging_cdn\/?asset_id=17900000000000001&signature=AbCdEf"}}]}"#)
        let fourth = item(1_765_000_000_004, #""message":{"mid":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDA0","text":"Trop bien \ud83d\ude0d","reply_to":{"story":{"url":"https:\/\/lookaside.fbsbx.com\/ig_messaging_cdn\/?asset_id=17900000000000002","id":"17900000000000002"}}}"#)
        let fifth = item(1_765_000_000_005, #""postback":{"mid":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDA1","title":"Get started","payload":"GET_STARTED","referral":{"ref":"summer","source":"ADS","type":"OPEN_THREAD"}}"#)
        let json = #"{"object":"instagram","entry":[{"id":"\#(account)","time":1765000000010,"messaging":[\#(first),\#(second)]},{"id":"\#(account)","time":1765000000011,"messaging":[\#(third),\#(fourth)]},{"id":"\#(account)","time":1765000000012,"messaging":[\#(fifth)]}]}"#
        return Array(json.utf8)
    }()

    /// WhatsApp's envelope around `members` (the members of `value` after `metadata`).
    static func whatsAppEnvelope(_ members: String) -> [UInt8] {
        Array(#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},\#(members)},"field":"messages"}]}]}"#.utf8)
    }

    /// A text message from a person with a phone number and a business-scoped user id.
    static let whatsAppText = whatsAppEnvelope(
        #""contacts":[{"profile":{"name":"Kerry Fisher","username":"@kerry"},"wa_id":"16505551234","user_id":"US.13491208655302741918"}],"messages":[{"from":"16505551234","from_user_id":"US.13491208655302741918","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1749416383","type":"text","text":{"body":"Hello, I would like to know my order status \u00e7a va"}}]"#)

    /// Three statuses of replies: sent (with pricing), delivered, failed with an error.
    static let whatsAppStatuses = whatsAppEnvelope(
        #""statuses":[{"id":"wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA","status":"sent","timestamp":"1749416390","recipient_id":"16505551234","recipient_user_id":"US.13491208655302741918","conversation":{"id":"6ceb9d929c1a3e9f7d0a7f2d9b7d8c2e","origin":{"type":"service"}},"pricing":{"billable":false,"pricing_model":"PMP","category":"service","type":"free_customer_service"}},{"id":"wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA","status":"delivered","timestamp":"1749416391","recipient_id":"16505551234","recipient_user_id":"US.13491208655302741918"},{"id":"wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTgA","status":"failed","timestamp":"1749416392","recipient_id":"16505551234","errors":[{"code":131047,"title":"Re-engagement message","message":"Re-engagement message","error_data":{"details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."}}]}]"#)
}
