import ChannelKit
import Foundation

/// One item of the example channel's webhook body. A body is one item or an array of them:
///
/// ```json
/// {"id": "msg-1", "from": "user-42", "text": "Hello", "timestamp": 1760000000}
/// [{"id": "msg-2", "from": "user-42", "text": "Hi again", "timestamp": 1760000001},
///  {"id": "msg-3", "from": "user-42", "timestamp": 1760000002,
///   "attachments": [{"type": "image", "url": "https://media.example.com/p/1.jpg", "mime_type": "image/jpeg"}]},
///  {"type": "status", "id": "st-1", "from": "user-42", "message_id": "out-7", "status": "delivered", "timestamp": 1760000003}]
/// ```
///
/// `type` is `message` (the default: a person wrote), `echo` (a message the business sent,
/// from this host or by a person of the business, which pauses Sandra there; `from` is the
/// person it went to, `id` the message's id) or `status` (what became of a reply). A message
/// carries text, attachments, or both; an attachment's `type` is `image`, `audio` (voice
/// notes), `video` or `file`, and its `url` is fetched by the pipeline's media step from the
/// hosts named in `media_allowed_hosts`. `timestamp` is epoch seconds, a number or a string
/// of digits.
struct ExampleWebhookPayload: Decodable, Sendable {
    var type: String?
    var id: String
    var from: String
    var text: String?
    var attachments: [Media]?
    var timestamp: Timestamp
    var messageID: String?
    var status: String?

    enum CodingKeys: String, CodingKey {
        case type, id, from, text, attachments, timestamp, status
        case messageID = "message_id"
    }

    /// An attachment: where the platform serves it and what it is.
    struct Media: Decodable, Sendable {
        var type: String
        var url: String
        var mimeType: String?

        enum CodingKeys: String, CodingKey {
            case type, url
            case mimeType = "mime_type"
        }

        /// Attachment types and their normalized kinds.
        static let kinds: [String: Attachment.Kind] = ["image": .image, "audio": .audio, "video": .video, "file": .file]

        /// The normalized attachment.
        var attachment: Attachment {
            Attachment(kind: Self.kinds[type] ?? .other, platformType: type, url: url, mimeType: mimeType)
        }
    }

    /// Epoch seconds, written as a number or a string.
    struct Timestamp: Decodable, Sendable {
        var seconds: Int64

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int64.self) {
                seconds = number
            } else if let text = try? container.decode(String.self), let number = Int64(text) {
                seconds = number
            } else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "timestamp must be epoch seconds")
            }
        }
    }

    /// Reads a body: one item or an array of items.
    /// - Throws: ``ChannelError`` `.malformedPayload` naming what is wrong, never message text.
    static func items(in body: [UInt8]) throws -> [ExampleWebhookPayload] {
        let decoder = JSONDecoder()
        let data = Data(body)
        if let list = try? decoder.decode([ExampleWebhookPayload].self, from: data) { return list }
        do {
            return [try decoder.decode(ExampleWebhookPayload.self, from: data)]
        } catch DecodingError.keyNotFound(let key, _) {
            throw ChannelError.malformedPayload("webhook: \(key.stringValue) is missing")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.dataCorrupted(let context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ChannelError.malformedPayload("webhook: \(path.isEmpty ? "body" : path) is not readable")
        } catch {
            throw ChannelError.malformedPayload("webhook: body is not a JSON object or array of objects")
        }
    }

    /// The normalized event.
    /// - Parameters:
    ///   - channel: the configured channel name.
    ///   - account: the account id events carry.
    /// - Throws: ``ChannelError`` `.malformedPayload` for an unknown type or a message with
    ///   neither text nor attachments.
    func event(channel: String, account: String) throws -> InboundEvent {
        guard !id.isEmpty, !from.isEmpty else { throw ChannelError.malformedPayload("webhook: id and from must not be empty") }
        let date = Date(timeIntervalSince1970: Double(timestamp.seconds))
        let kind: InboundEvent.Kind
        let platformID: String
        switch type ?? "message" {
        case "message":
            let media = attachments ?? []
            let text = text?.isEmpty == true ? nil : text
            guard text != nil || !media.isEmpty else {
                throw ChannelError.malformedPayload("webhook: a message needs text or attachments")
            }
            kind = .message(InboundMessage(text: text, attachments: media.map(\.attachment)))
            platformID = id
        case "echo":
            // This host's own reply (`id` is what its send got back) or a person of the business's.
            kind = .echo(Echo(text: text?.isEmpty == true ? nil : text, attachments: (attachments ?? []).map(\.attachment),
                              sentMessageID: id))
            platformID = "echo:\(id)"
        case "status":
            kind = .ignored(IgnoredEvent(reason: .status, targetMessageID: messageID, detail: status.map { String($0.prefix(20)) }))
            platformID = "status:\(id)"
        default:
            throw ChannelError.malformedPayload("webhook: type must be message, echo or status")
        }
        return InboundEvent(channel: channel, accountID: account, senderID: from, platformMessageID: platformID, timestamp: date, kind: kind)
    }
}
