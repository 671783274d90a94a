import ChannelKit
import Foundation

/// The one writer of the JSON the stores keep: events, reply parts, a profile's preferences and
/// an erasure's channels. Both stores write every JSON column through it, and read them back
/// with `JSONDecoder` through the types' `Decodable` conformances.
///
/// It writes the shape those conformances read: objects with the properties in declaration
/// order, `nil` optionals left out, an enum case with associated values as
/// `{"case":{"_0":…}}` (or its labels), a `Date` as seconds since 2001-01-01 (the default
/// `deferredToDate` strategy), a dictionary with its keys sorted. Rows written by
/// `JSONEncoder` (the rows of older versions, and the preferences and erasure records it used
/// to write) read the same.
///
/// Why not `JSONEncoder`: every accepted webhook's events are written on the acknowledgement
/// path, and every reply's parts on the way to the Send API. `JSONEncoder` builds a tree of
/// boxed values for each: about 95,000 instructions, 43 allocations and 9.2 µs of CPU per
/// event on the bench machine, against 23,000 instructions, 2.6 allocations and 2.0 µs here
/// (`docs/performance.md`, "One way to handle JSON").
package enum StoredJSON {
    /// The event as `JSONEncoder().encode(event)` would write it.
    package static func encode(_ event: InboundEvent) -> String {
        var out = Writer()
        out.object { out in
            out.field("channel", event.channel)
            out.field("accountID", event.accountID)
            out.field("senderID", event.senderID)
            if !event.alternativeSenderIDs.isEmpty {
                out.key("alternativeSenderIDs")
                out.array(event.alternativeSenderIDs) { out, id in out.value(id) }
            }
            out.field("replyAddress", event.replyAddress)
            out.field("platformMessageID", event.platformMessageID)
            out.key("timestamp")
            out.number(event.timestamp.timeIntervalSinceReferenceDate)
            out.key("kind")
            out.object { out in
                switch event.kind {
                case .message(let message):
                    out.key("message")
                    out.object { out in out.key("_0"); out.message(message) }
                case .postback(let postback):
                    out.key("postback")
                    out.object { out in out.key("_0"); out.postback(postback) }
                case .echo(let echo):
                    out.key("echo")
                    out.object { out in out.key("_0"); out.echo(echo) }
                case .control(let control):
                    out.key("control")
                    out.object { out in
                        out.key("_0")
                        out.object { out in
                            out.field("action", control.action.rawValue)
                            out.field("appID", control.appID)
                            out.field("previousAppID", control.previousAppID)
                            out.field("metadata", control.metadata)
                        }
                    }
                case .ignored(let ignored):
                    out.key("ignored")
                    out.object { out in
                        out.key("_0")
                        out.object { out in
                            out.field("reason", ignored.reason.rawValue)
                            out.field("targetMessageID", ignored.targetMessageID)
                            out.field("detail", ignored.detail)
                        }
                    }
                }
            }
        }
        return out.text
    }

    /// The reply part as `JSONEncoder().encode(message)` would write it.
    package static func encode(_ message: OutboundMessage) -> String {
        var out = Writer()
        out.object { out in
            out.field("text", message.text)
            out.key("quickReplies")
            out.array(message.quickReplies) { out, reply in
                out.object { out in
                    out.field("title", reply.title)
                    out.field("payload", reply.payload)
                }
            }
        }
        return out.text
    }

    /// A list of strings, as `JSONEncoder().encode(strings)` would write it (an erasure's channels).
    package static func encode(_ strings: [String]) -> String {
        var out = Writer()
        out.array(strings) { out, text in out.value(text) }
        return out.text
    }

    /// A string dictionary as a JSON object, its keys sorted (a profile's preferences).
    package static func encode(_ map: [String: String]) -> String {
        var out = Writer()
        out.object { out in
            for key in map.keys.sorted() { out.field(key, map[key]) }
        }
        return out.text
    }

    /// Appends JSON to a byte buffer.
    struct Writer {
        private var bytes: [UInt8] = []
        /// Whether the next member of the innermost object or array needs a comma first.
        private var needsComma = false

        init() {
            bytes.reserveCapacity(512)
        }

        var text: String { String(decoding: bytes, as: UTF8.self) }

        mutating func object(_ members: (inout Writer) -> Void) {
            separate()
            bytes.append(UInt8(ascii: "{"))
            needsComma = false
            members(&self)
            bytes.append(UInt8(ascii: "}"))
            needsComma = true
        }

        mutating func array<Element>(_ elements: [Element], _ write: (inout Writer, Element) -> Void) {
            separate()
            bytes.append(UInt8(ascii: "["))
            needsComma = false
            for element in elements { write(&self, element) }
            bytes.append(UInt8(ascii: "]"))
            needsComma = true
        }

        mutating func key(_ name: String) {
            separate()
            string(name)
            bytes.append(UInt8(ascii: ":"))
            needsComma = false
        }

        /// A string member; nothing at all when `value` is `nil`.
        mutating func field(_ name: String, _ value: String?) {
            guard let value else { return }
            key(name)
            separate()
            string(value)
            needsComma = true
        }

        mutating func number(_ value: Double) {
            separate()
            // Swift prints the shortest digits that read back as the same Double.
            bytes.append(contentsOf: (value.isFinite ? value.description : "0").utf8)
            needsComma = true
        }

        mutating func attachments(_ attachments: [Attachment]) {
            key("attachments")
            array(attachments) { out, attachment in
                out.object { out in
                    out.field("kind", attachment.kind.rawValue)
                    out.field("platformType", attachment.platformType)
                    out.field("url", attachment.url)
                    out.field("mediaID", attachment.mediaID)
                    out.field("mimeType", attachment.mimeType)
                    out.field("title", attachment.title)
                }
            }
        }

        mutating func echo(_ echo: Echo) {
            object { out in
                out.field("text", echo.text)
                out.attachments(echo.attachments)
                out.field("appID", echo.appID)
                out.field("sentMessageID", echo.sentMessageID)
            }
        }

        mutating func message(_ message: InboundMessage) {
            object { out in
                out.field("text", message.text)
                out.attachments(message.attachments)
                out.field("quickReplyPayload", message.quickReplyPayload)
                if let replyTo = message.replyTo {
                    out.key("replyTo")
                    out.object { out in
                        switch replyTo {
                        case .message(let id):
                            out.key("message")
                            out.object { out in out.field("id", id) }
                        case .story(let id, let url):
                            out.key("story")
                            out.object { out in
                                out.field("id", id)
                                out.field("url", url)
                            }
                        }
                    }
                }
                out.referral(message.referral)
                out.field("automaticReply", message.automaticReply)
            }
        }

        /// A string as an array element.
        mutating func value(_ value: String) {
            separate()
            string(value)
            needsComma = true
        }

        mutating func postback(_ postback: Postback) {
            object { out in
                out.field("title", postback.title)
                out.field("payload", postback.payload)
                out.referral(postback.referral)
            }
        }

        /// A `referral` member; nothing at all when `referral` is `nil`.
        mutating func referral(_ referral: Referral?) {
            guard let referral else { return }
            key("referral")
            object { out in
                out.field("ref", referral.ref)
                out.field("source", referral.source)
                out.field("type", referral.type)
            }
        }

        private mutating func separate() {
            if needsComma { bytes.append(UInt8(ascii: ",")) }
        }

        private static let hex = Array("0123456789abcdef".utf8)

        /// A quoted string with JSON's escapes (and `\/`, as `JSONEncoder` writes it).
        private mutating func string(_ value: String) {
            bytes.append(UInt8(ascii: "\""))
            var value = value
            value.withUTF8 { utf8 in
                // Runs of bytes that need no escape are copied whole.
                var runStart = 0
                for (offset, byte) in utf8.enumerated() where Self.needsEscape(byte) {
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<offset]))
                    escape(byte)
                    runStart = offset + 1
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
            }
            bytes.append(UInt8(ascii: "\""))
        }

        /// Whether `byte` is written escaped: a quote, a backslash, a slash or a control character.
        private static func needsEscape(_ byte: UInt8) -> Bool {
            byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "/")
        }

        /// The escape of a byte `needsEscape` accepts.
        private mutating func escape(_ byte: UInt8) {
            bytes.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(byte)
            case 0x0A: bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "t"))
            case 0x08: bytes.append(UInt8(ascii: "b"))
            case 0x0C: bytes.append(UInt8(ascii: "f"))
            default:
                bytes.append(UInt8(ascii: "u"))
                bytes.append(UInt8(ascii: "0"))
                bytes.append(UInt8(ascii: "0"))
                bytes.append(Self.hex[Int(byte >> 4)])
                bytes.append(Self.hex[Int(byte & 0x0F)])
            }
        }
    }
}
