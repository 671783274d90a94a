import ChannelKit
import Foundation

/// One item of the example channel's webhook body. A body is one item or an array of them:
///
/// ```json
/// {"id": "msg-1", "from": "user-42", "text": "Hello", "timestamp": 1760000000}
/// [{"id": "msg-2", "from": "user-42", "text": "Hi again", "timestamp": 1760000001},
///  {"type": "status", "id": "st-1", "from": "user-42", "message_id": "out-7", "status": "delivered", "timestamp": 1760000002}]
/// ```
///
/// `type` is `message` (the default: a person wrote), `echo` (a message the business itself
/// sent; `from` is the person it went to) or `status` (what became of a reply). `timestamp`
/// is epoch seconds, a number or a string of digits.
struct ExampleWebhookPayload: Decodable, Sendable {
    var type: String?
    var id: String
    var from: String
    var text: String?
    var timestamp: Timestamp
    var messageID: String?
    var status: String?

    enum CodingKeys: String, CodingKey {
        case type, id, from, text, timestamp, status
        case messageID = "message_id"
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
    /// - Throws: ``ChannelError`` `.malformedPayload` for an unknown type or a message without text.
    func event(channel: String, account: String) throws -> InboundEvent {
        guard !id.isEmpty, !from.isEmpty else { throw ChannelError.malformedPayload("webhook: id and from must not be empty") }
        let date = Date(timeIntervalSince1970: Double(timestamp.seconds))
        let kind: InboundEvent.Kind
        let platformID: String
        switch type ?? "message" {
        case "message":
            guard let text, !text.isEmpty else { throw ChannelError.malformedPayload("webhook: a message needs text") }
            kind = .message(InboundMessage(text: text))
            platformID = id
        case "echo":
            kind = .ignored(IgnoredEvent(reason: .echo, targetMessageID: id))
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
