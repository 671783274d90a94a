import Foundation
import MetaPlatform

/// Real-shaped WhatsApp Cloud API webhook bodies, serialized the way Meta sends them (ASCII
/// with `\uXXXX` escapes and `\/`), and their signatures.
enum WhatsAppFixtures {
    static let appSecret = "wa-e2e-app-secret"
    static let verifyToken = "wa-e2e-verify-token"
    static let accessToken = "wa-e2e-access-token"
    /// The sandbox's phone number id (the channel in sandbox mode sends from it).
    static let phoneNumberID = "100000000000001"
    /// Now, when the test process first asked, in seconds: messages the platform delivers are
    /// recent, within the 24-hour customer-service window.
    static let baseSeconds = Int64(Date().timeIntervalSince1970)

    struct Message {
        var sender: String
        var id: String
        var text: String
        var timestamp: Int64 = WhatsAppFixtures.baseSeconds
    }

    /// One delivery holding `messages` in one `messages` change.
    static func body(_ messages: [Message]) -> [UInt8] {
        let items = messages.map { message in
            #"{"from":"\#(message.sender)","id":"\#(message.id)","timestamp":"\#(message.timestamp)","type":"text","text":{"body":"\#(InstagramFixtures.escape(message.text))"}}"#
        }
        let contacts = Set(messages.map(\.sender)).sorted().map { #"{"profile":{"name":"E2E"},"wa_id":"\#($0)"}"# }
        return envelope(#""contacts":[\#(contacts.joined(separator: ","))],"messages":[\#(items.joined(separator: ","))]"#)
    }

    static func body(sender: String, id: String, text: String) -> [UInt8] {
        body([Message(sender: sender, id: id, text: text)])
    }

    /// A delivery of statuses of a sent message.
    static func statuses(of messageID: String, recipient: String, _ statuses: [String]) -> [UInt8] {
        let items = statuses.map {
            #"{"id":"\#(messageID)","status":"\#($0)","timestamp":"1760000100","recipient_id":"\#(recipient)","pricing":{"billable":true,"pricing_model":"PMP","category":"service"}}"#
        }
        return envelope(#""statuses":[\#(items.joined(separator: ","))]"#)
    }

    static func envelope(_ members: String) -> [UInt8] {
        Array(#"{"object":"whatsapp_business_account","entry":[{"id":"200000000000002","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550100001","phone_number_id":"\#(phoneNumberID)"},\#(members)},"field":"messages"}]}]}"#.utf8)
    }

    static func signature(_ body: [UInt8], secret: String = appSecret) -> String {
        MetaSignature.sign(body: body, secret: secret)
    }
}
