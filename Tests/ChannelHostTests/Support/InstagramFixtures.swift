import Foundation
import MetaPlatform

/// Real-shaped Instagram webhook bodies, serialized the way Meta sends them (ASCII with
/// `\uXXXX` escapes and `\/`), and their signatures.
enum InstagramFixtures {
    static let appSecret = "test-app-secret"
    static let verifyToken = "test-verify-token"
    static let accessToken = "test-access-token"
    static let account = "17841400000000001"
    /// Now, when the test process first asked, in milliseconds: messages the platform
    /// delivers are recent, within the 24-hour reply window.
    static let baseMs = Int64(Date().timeIntervalSince1970 * 1000)

    struct Message {
        var sender: String
        var mid: String
        var text: String?
        var timestamp: Int64
        /// `(type, url)` pairs: `image`, `audio`, `video`, `file`, `share`…
        var attachments: [(type: String, url: String)] = []
    }

    /// One delivery holding `messages` (each its own messaging item, in one entry).
    static func body(_ messages: [Message]) -> [UInt8] {
        let items = messages.map { message in
            var fields = [#""mid":"\#(message.mid)""#]
            if let text = message.text { fields.append(#""text":"\#(escape(text))""#) }
            if !message.attachments.isEmpty {
                let list = message.attachments.map { #"{"type":"\#($0.type)","payload":{"url":"\#(escape($0.url))"}}"# }
                fields.append(#""attachments":[\#(list.joined(separator: ","))]"#)
            }
            return #"{"sender":{"id":"\#(message.sender)"},"recipient":{"id":"\#(account)"},"timestamp":\#(message.timestamp),"message":{\#(fields.joined(separator: ","))}}"#
        }
        let time = messages.map(\.timestamp).max() ?? 0
        let json = #"{"object":"instagram","entry":[{"id":"\#(account)","time":\#(time),"messaging":[\#(items.joined(separator: ","))]}]}"#
        return Array(json.utf8)
    }

    static func body(sender: String, mid: String, text: String, timestamp: Int64 = baseMs) -> [UInt8] {
        body([Message(sender: sender, mid: mid, text: text, timestamp: timestamp)])
    }

    /// The echo of a message the account sent to `recipient`, typed in the Instagram app (no app id).
    static func echo(to recipient: String, mid: String, text: String, timestamp: Int64 = baseMs) -> [UInt8] {
        let item = #"{"sender":{"id":"\#(account)"},"recipient":{"id":"\#(recipient)"},"timestamp":\#(timestamp),"#
            + #""message":{"mid":"\#(mid)","text":"\#(escape(text))","is_echo":true}}"#
        return Array(#"{"object":"instagram","entry":[{"id":"\#(account)","time":\#(timestamp),"messaging":[\#(item)]}]}"#.utf8)
    }

    static func signature(_ body: [UInt8], secret: String = appSecret) -> String {
        MetaSignature.sign(body: body, secret: secret)
    }

    /// JSON string escaping as Meta does it (non-ASCII as `\uXXXX`, `/` as `\/`): MetaPlatform's
    /// webhook-style writer, without the surrounding quotes.
    static func escape(_ text: String) -> String {
        String(MetaJSON.string(text).encodedString(style: .metaWebhook).dropFirst().dropLast())
    }
}
