import Foundation

/// `Codable` models of the webhook fields the channel parsers read, decoded with
/// `JSONDecoder`: the other way the JSON bench measures. They map to the same
/// ``WebhookFields`` as ``MetaJSONFields``.
enum WebhookModels {
    /// An id Meta sends as a string (or, in older payloads, a number).
    struct ID: Decodable {
        let value: String
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) { value = text } else { value = String(try container.decode(Int64.self)) }
        }
    }

    /// A whole number Meta sends as a number or as a string of digits.
    struct Number: Decodable {
        let value: Int64
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int64.self) {
                value = number
            } else if let number = Int64(try container.decode(String.self)) {
                value = number
            } else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a whole number")
            }
        }
    }

    struct Party: Decodable { let id: ID? }
    struct Referral: Decodable { let ref: String?, source: String?, type: String? }

    // MARK: Instagram

    struct Instagram: Decodable {
        let object: String
        let entry: [Entry]

        struct Entry: Decodable {
            let id: ID?
            let time: Number?
            let messaging: [Item]?
            let standby: [Item]?
        }

        struct Item: Decodable {
            let sender: Party?, recipient: Party?, timestamp: Number?
            let message: Message?, reaction: Reaction?, read: Read?, postback: Postback?
        }

        struct Message: Decodable {
            let mid: ID?, text: String?
            let is_echo: Bool?, is_self: Bool?, is_deleted: Bool?, is_unsupported: Bool?
            let quick_reply: QuickReply?
            let attachments: [Attachment]?
            let reply_to: ReplyTo?
            let referral: Referral?
        }

        struct QuickReply: Decodable { let payload: String? }
        struct Attachment: Decodable {
            let type: String?
            let payload: Payload?
            struct Payload: Decodable { let url: String?, title: String? }
        }
        struct ReplyTo: Decodable {
            let mid: ID?
            let story: Story?
            struct Story: Decodable { let id: ID?, url: String? }
        }
        struct Reaction: Decodable { let mid: ID?, emoji: String? }
        struct Read: Decodable { let mid: ID? }
        struct Postback: Decodable { let mid: ID?, title: String?, payload: String?, referral: Referral? }
    }

    static func instagram(_ body: [UInt8], decoder: JSONDecoder) throws -> [WebhookFields] {
        let root = try decoder.decode(Instagram.self, from: Data(body))
        guard root.object == "instagram" else { throw BenchJSONError.shape }
        var result: [WebhookFields] = []
        for entry in root.entry {
            for item in (entry.messaging ?? []) + (entry.standby ?? []) {
                guard let sender = item.sender?.id?.value else { throw BenchJSONError.shape }
                var fields = WebhookFields(accountID: entry.id?.value ?? "", senderID: sender, recipientID: item.recipient?.id?.value)
                fields.time = item.timestamp?.value ?? entry.time?.value ?? 0
                if let message = item.message {
                    fields.id = message.mid?.value ?? ""
                    if message.is_echo == true {
                        fields.kind = "echo"
                    } else if message.is_self == true || message.is_deleted == true || message.is_unsupported == true {
                        fields.kind = "other"
                    } else {
                        fields.kind = "message"
                        fields.text = message.text
                        fields.payload = message.quick_reply?.payload
                        fields.attachments = (message.attachments ?? []).map {
                            "\($0.type ?? "unknown") \($0.payload?.url ?? "") \($0.payload?.title ?? "")"
                        }
                        if let story = message.reply_to?.story {
                            fields.replyTo = "story \(story.id?.value ?? "") \(story.url ?? "")"
                        } else if let mid = message.reply_to?.mid?.value {
                            fields.replyTo = "message \(mid)"
                        }
                        fields.referral = message.referral.map(describe)
                    }
                } else if let reaction = item.reaction {
                    fields.kind = "reaction"
                    fields.id = reaction.mid?.value ?? ""
                    fields.text = reaction.emoji
                } else if let read = item.read {
                    fields.kind = "read"
                    fields.id = read.mid?.value ?? ""
                } else if let postback = item.postback {
                    fields.kind = "postback"
                    fields.id = postback.mid?.value ?? ""
                    fields.text = postback.title
                    fields.payload = postback.payload
                    fields.referral = postback.referral.map(describe)
                }
                result.append(fields)
            }
        }
        return result
    }

    private static func describe(_ referral: Referral) -> String {
        "\(referral.ref ?? "") \(referral.source ?? "") \(referral.type ?? "")"
    }

    // MARK: WhatsApp

    struct WhatsApp: Decodable {
        let object: String
        let entry: [Entry]

        struct Entry: Decodable { let id: ID?, changes: [Change]? }
        struct Change: Decodable { let field: String?, value: Value? }
        struct Value: Decodable {
            let metadata: Metadata?
            let contacts: [Contact]?
            let messages: [Message]?
            let statuses: [Status]?
        }
        struct Metadata: Decodable { let phone_number_id: ID? }
        struct Contact: Decodable { let wa_id: ID?, user_id: ID? }
        struct Message: Decodable {
            let from: ID?, from_user_id: ID?
            let id: ID?, timestamp: Number?, type: String?
            let context: Context?, text: Text?, referral: AdReferral?
            /// The media object, under the message's type.
            let image: Media?, audio: Media?, video: Media?, document: Media?, sticker: Media?

            var media: Media? {
                switch type {
                case "image": image
                case "audio": audio
                case "video": video
                case "document": document
                case "sticker": sticker
                default: nil
                }
            }
        }
        struct Context: Decodable { let id: ID? }
        struct Text: Decodable { let body: String? }
        struct Media: Decodable { let id: ID?, mime_type: String?, caption: String? }
        struct AdReferral: Decodable { let source_id: ID?, source_type: String?, media_type: String? }
        struct Status: Decodable {
            let id: ID?, status: String?, timestamp: Number?
            let recipient_id: ID?, recipient_user_id: ID?
            let errors: [ErrorItem]?
        }
        struct ErrorItem: Decodable { let code: Int64? }
    }

    static func whatsApp(_ body: [UInt8], decoder: JSONDecoder) throws -> [WebhookFields] {
        let root = try decoder.decode(WhatsApp.self, from: Data(body))
        guard root.object == "whatsapp_business_account" else { throw BenchJSONError.shape }
        var result: [WebhookFields] = []
        for change in root.entry.flatMap({ $0.changes ?? [] }) {
            guard change.field == "messages", let value = change.value, let phoneNumberID = value.metadata?.phone_number_id?.value else {
                throw BenchJSONError.shape
            }
            let contacts = value.contacts ?? []
            for item in value.messages ?? [] {
                var fields = WebhookFields(accountID: phoneNumberID)
                var userID = item.from_user_id?.value
                var phone = item.from?.value
                let card = contacts.first { card in
                    (phone != nil && card.wa_id?.value == phone) || (userID != nil && card.user_id?.value == userID)
                } ?? (contacts.count == 1 ? contacts.first : nil)
                if let card {
                    userID = userID ?? card.user_id?.value
                    phone = phone ?? card.wa_id?.value
                }
                fields.senderID = userID ?? phone ?? ""
                if userID != nil, let phone { fields.alternativeIDs = [phone] }
                fields.id = item.id?.value ?? ""
                fields.time = item.timestamp?.value ?? 0
                let type = item.type ?? "unknown"
                fields.kind = type
                fields.replyTo = item.context?.id?.value
                if type == "text" {
                    fields.text = item.text?.body
                } else if let media = item.media {
                    fields.text = media.caption
                    fields.attachments = ["\(type) \(media.id?.value ?? "") \(media.mime_type ?? "")"]
                }
                if let referral = item.referral {
                    fields.referral = "\(referral.source_id?.value ?? "") \(referral.source_type ?? "") \(referral.media_type ?? "")"
                }
                result.append(fields)
            }
            for item in value.statuses ?? [] {
                var fields = WebhookFields(accountID: phoneNumberID)
                fields.id = item.id?.value ?? ""
                fields.kind = "status:" + (item.status ?? "unknown")
                let phone = item.recipient_id?.value
                let userID = item.recipient_user_id?.value
                fields.senderID = userID ?? phone ?? phoneNumberID
                if userID != nil, let phone { fields.alternativeIDs = [phone] }
                fields.time = item.timestamp?.value ?? 0
                fields.errorCode = item.errors?.first?.code
                result.append(fields)
            }
        }
        return result
    }
}
