import ChannelKit
import MetaPlatform

/// One item of an emulated conversation, as the page shows it: what the person sent, what
/// the business sent, a typing indicator, a read receipt, a delivery status.
///
/// `raw` is what really crossed the wire: for a person's message the webhook request the
/// emulator posted to the channel, for the business's the Graph request the host sent, so
/// that the page can show both under the message.
public struct SandboxEntry: SandboxSequenced {
    /// Who sent it.
    public enum Direction: String, Sendable {
        /// The person, to the business.
        case inbound = "in"
        /// The business, to the person.
        case outbound = "out"
    }

    /// The number ``SandboxRecords`` gives it.
    public var seq = 0
    /// Who sent it.
    public var direction: Direction
    /// What it is: `text`, `media`, `typing`, `read`, `status`.
    public var kind: String
    /// Its text, caption or status.
    public var text: String?
    /// The quick replies or reply buttons offered with it.
    public var choices: [QuickReply] = []
    /// Labels of the files a person attached (`image: image/jpeg, 12 KB`).
    public var attachments: [String] = []
    /// The platform's message id, when it has one.
    public var messageID: String?
    /// When it was recorded, in milliseconds.
    public var time: Int64 = 0
    /// The request that carried it: method, path, a blank line, the body.
    public var raw: String?

    /// Creates an entry.
    public init(_ direction: Direction, kind: String, text: String? = nil, choices: [QuickReply] = [], attachments: [String] = [],
                messageID: String? = nil) {
        self.direction = direction
        self.kind = kind
        self.text = text
        self.choices = choices
        self.attachments = attachments
        self.messageID = messageID
    }

    /// The entry as `GET /api/messages` lists it.
    var json: MetaJSON {
        [
            "seq": .integer(Int64(seq)),
            "direction": .string(direction.rawValue),
            "kind": .string(kind),
            "text": .optional(text),
            "choices": .array(choices.map { ["title": .string($0.title), "payload": .string($0.payload)] }),
            "attachments": .array(attachments.map { .string($0) }),
            "message_id": .optional(messageID),
            "time": .integer(time),
            "raw": .optional(raw),
        ]
    }

    /// The most of a request kept as ``raw``: enough for any message the emulator accepts.
    static let rawLimit = 64 * 1024

    /// `METHOD path`, a blank line and the body (cut past ``rawLimit`` bytes).
    static func raw(method: String, path: String, body: [UInt8]) -> String {
        let shown = body.count > rawLimit ? Array(body.prefix(rawLimit)) : body
        var text = "\(method) \(path)\n\n" + String(decoding: shown, as: UTF8.self)
        if body.count > rawLimit { text += "\n… (\(body.count - rawLimit) more bytes)" }
        return text
    }
}
