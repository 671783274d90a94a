import MetaPlatform

/// What the Instagram and WhatsApp webhook parsers take from one item of a delivery, flat:
/// the JSON bench extracts it from both readers and checks that they agree before timing them.
struct WebhookFields: Equatable {
    var accountID = ""
    var senderID = ""
    var recipientID: String?
    var alternativeIDs: [String] = []
    var id = ""
    /// Instagram: milliseconds; WhatsApp: seconds.
    var time: Int64 = 0
    /// `message`, `echo`, `postback`, `status:<status>`, the WhatsApp message type, …
    var kind = ""
    var text: String?
    /// A quick reply's or a postback's payload.
    var payload: String?
    /// `type url` per attachment.
    var attachments: [String] = []
    var replyTo: String?
    var referral: String?
    var errorCode: Int64?
}

/// Reading ``WebhookFields`` from the hand-written reader's tree (``MetaJSON``), with the
/// reads the channel parsers make (`Sources/Channels/Instagram/InstagramWebhookParser.swift`,
/// `Sources/Channels/WhatsApp/WhatsAppWebhookParser.swift`).
enum MetaJSONFields {
    static func instagram(_ body: [UInt8]) throws -> [WebhookFields] {
        let root = try MetaJSON.decode(body)
        guard root["object"]?.stringValue == "instagram", let entries = root["entry"]?.arrayValue else { throw BenchJSONError.shape }
        var result: [WebhookFields] = []
        for entry in entries {
            let accountID = entry["id"]?.idValue ?? ""
            let entryTime = entry["time"]?.integerValue
            for key in ["messaging", "standby"] {
                for item in entry[key]?.arrayValue ?? [] {
                    result.append(try instagramItem(item, accountID: accountID, entryTime: entryTime))
                }
            }
        }
        return result
    }

    private static func instagramItem(_ item: MetaJSON, accountID: String, entryTime: Int64?) throws -> WebhookFields {
        var fields = WebhookFields(accountID: accountID)
        guard let sender = item["sender"]?["id"]?.idValue else { throw BenchJSONError.shape }
        fields.senderID = sender
        fields.recipientID = item["recipient"]?["id"]?.idValue
        fields.time = item["timestamp"]?.integerValue ?? entryTime ?? 0
        if let message = item["message"], !message.isNull {
            fields.id = message["mid"]?.idValue ?? ""
            if message["is_echo"]?.boolValue == true {
                fields.kind = "echo"
            } else if message["is_self"]?.boolValue == true || message["is_deleted"]?.boolValue == true
                        || message["is_unsupported"]?.boolValue == true {
                fields.kind = "other"
            } else {
                fields.kind = "message"
                fields.text = message["text"]?.stringValue
                fields.payload = message["quick_reply"]?["payload"]?.stringValue
                for attachment in message["attachments"]?.arrayValue ?? [] {
                    let payload = attachment["payload"]
                    fields.attachments.append("\(attachment["type"]?.stringValue ?? "unknown") \(payload?["url"]?.stringValue ?? "") \(payload?["title"]?.stringValue ?? "")")
                }
                if let reply = message["reply_to"], !reply.isNull {
                    if let story = reply["story"], story.objectValue != nil {
                        fields.replyTo = "story \(story["id"]?.idValue ?? "") \(story["url"]?.stringValue ?? "")"
                    } else if let mid = reply["mid"]?.idValue {
                        fields.replyTo = "message \(mid)"
                    }
                }
                fields.referral = referral(message["referral"])
            }
        } else if let reaction = item["reaction"], !reaction.isNull {
            fields.kind = "reaction"
            fields.id = reaction["mid"]?.idValue ?? ""
            fields.text = reaction["emoji"]?.stringValue
        } else if let read = item["read"], !read.isNull {
            fields.kind = "read"
            fields.id = read["mid"]?.idValue ?? ""
        } else if let postback = item["postback"], !postback.isNull {
            fields.kind = "postback"
            fields.id = postback["mid"]?.idValue ?? ""
            fields.text = postback["title"]?.stringValue
            fields.payload = postback["payload"]?.stringValue
            fields.referral = referral(postback["referral"])
        }
        return fields
    }

    private static func referral(_ value: MetaJSON?) -> String? {
        guard let value, value.objectValue != nil else { return nil }
        return "\(value["ref"]?.stringValue ?? "") \(value["source"]?.stringValue ?? "") \(value["type"]?.stringValue ?? "")"
    }

    static func whatsApp(_ body: [UInt8]) throws -> [WebhookFields] {
        let root = try MetaJSON.decode(body)
        guard root["object"]?.stringValue == "whatsapp_business_account", let entries = root["entry"]?.arrayValue else {
            throw BenchJSONError.shape
        }
        var result: [WebhookFields] = []
        for entry in entries {
            for change in entry["changes"]?.arrayValue ?? [] {
                guard change["field"]?.stringValue == "messages", let value = change["value"],
                      let phoneNumberID = value["metadata"]?["phone_number_id"]?.idValue else { throw BenchJSONError.shape }
                let contacts = value["contacts"]?.arrayValue ?? []
                for item in value["messages"]?.arrayValue ?? [] {
                    result.append(whatsAppMessage(item, contacts: contacts, phoneNumberID: phoneNumberID))
                }
                for item in value["statuses"]?.arrayValue ?? [] {
                    var fields = WebhookFields(accountID: phoneNumberID)
                    fields.id = item["id"]?.idValue ?? ""
                    fields.kind = "status:" + (item["status"]?.stringValue ?? "unknown")
                    let phone = item["recipient_id"]?.idValue
                    let userID = item["recipient_user_id"]?.idValue
                    fields.senderID = userID ?? phone ?? phoneNumberID
                    if userID != nil, let phone { fields.alternativeIDs = [phone] }
                    fields.time = item["timestamp"]?.integerValue ?? 0
                    fields.errorCode = item["errors"]?.arrayValue?.first?["code"]?.integerValue
                    result.append(fields)
                }
            }
        }
        return result
    }

    private static func whatsAppMessage(_ item: MetaJSON, contacts: [MetaJSON], phoneNumberID: String) -> WebhookFields {
        var fields = WebhookFields(accountID: phoneNumberID)
        var userID = item["from_user_id"]?.idValue
        var phone = item["from"]?.idValue
        let card = contacts.first { card in
            (phone != nil && card["wa_id"]?.idValue == phone) || (userID != nil && card["user_id"]?.idValue == userID)
        } ?? (contacts.count == 1 ? contacts.first : nil)
        if let card {
            userID = userID ?? card["user_id"]?.idValue
            phone = phone ?? card["wa_id"]?.idValue
        }
        fields.senderID = userID ?? phone ?? ""
        if userID != nil, let phone { fields.alternativeIDs = [phone] }
        fields.id = item["id"]?.idValue ?? ""
        fields.time = item["timestamp"]?.integerValue ?? 0
        let type = item["type"]?.stringValue ?? "unknown"
        fields.kind = type
        fields.replyTo = item["context"]?["id"]?.idValue
        if type == "text" {
            fields.text = item["text"]?["body"]?.stringValue
        } else if let media = item[type], media.objectValue != nil {
            fields.text = media["caption"]?.stringValue
            fields.attachments = ["\(type) \(media["id"]?.idValue ?? "") \(media["mime_type"]?.stringValue ?? "")"]
        }
        if let referral = item["referral"], referral.objectValue != nil {
            fields.referral = "\(referral["source_id"]?.idValue ?? "") \(referral["source_type"]?.stringValue ?? "") \(referral["media_type"]?.stringValue ?? "")"
        }
        return fields
    }
}

/// A body that is not the webhook the bench expected.
struct BenchJSONError: Error, CustomStringConvertible {
    let description: String
    static let shape = BenchJSONError(description: "the body is not shaped as the bench expects")
}
