import ChannelKit
import ChannelKitTesting
import Foundation
import MetaPlatform
import WhatsAppChannel

/// The WhatsApp channel, as the conformance kit drives it: Cloud API webhooks in, Cloud API
/// sends out, errors in Graph's format.
struct WhatsAppSubject: ChannelConformanceSubject {
    func makeChannel(http: any HTTPTransport) throws -> any Channel {
        try WhatsAppChannelTests.makeChannel(settings(), http: http)
    }

    func delivery(of messages: [ConformanceMessage], signature: ConformanceSignature) -> WebhookRequest {
        let items = messages.map { message in
            let text = MetaJSON.string(message.text).encodedString(style: .metaWebhook)
            return #"{"from":"\#(message.sender)","id":"\#(message.id)","timestamp":"\#(message.epochSeconds)","type":"text","text":{"body":\#(text)}}"#
        }
        return messagesDelivery(items, from: messages.map(\.sender), secret: signature == .valid ? TestSecrets.appSecret : "not-the-app-secret")
    }

    func imageDelivery(of message: ConformanceMediaMessage) -> WebhookRequest? {
        mediaDelivery(of: message, type: "image", extra: "")
    }

    /// A voice recording: an `audio` message marked `"voice":true`.
    func voiceNoteDelivery(of message: ConformanceMediaMessage) -> WebhookRequest? {
        mediaDelivery(of: message, type: "audio", extra: #","voice":true"#)
    }

    /// WhatsApp records voice notes in Ogg Opus.
    var voiceNoteFile: ConformanceMediaFile { .oggOpusVoiceNote }

    /// The path of `lookaside.fbsbx.com` download URLs.
    func mediaPath(for id: String) -> String { "/whatsapp_business/attachments/?mid=\(id)&ext=1760000300&hash=ATta-\(id)" }

    /// Graph's media lookup (`GET /<version>/<media-id>`) and the download of the URL it
    /// returns, both only with the bearer token.
    func mediaResponse(to request: OutboundHTTPRequest, hosted: [ConformanceMedia]) -> OutboundHTTPResponse? {
        guard request.method == .get else { return nil }
        let authorized = request.headers[.authorization] == "Bearer \(TestSecrets.accessToken)"
        let lookupPrefix = "\(WhatsAppChannelFactory.defaultGraphBaseURL)/\(WhatsAppChannelFactory.defaultAPIVersion)/"
        if request.url.hasPrefix(lookupPrefix) {
            let id = String(request.url.dropFirst(lookupPrefix.count).prefix { $0 != "?" })
            guard let media = hosted.first(where: { $0.id == id }) else { return nil }
            guard authorized else { return Self.invalidToken }
            let lookup: MetaJSON = [
                "url": .string(media.url), "mime_type": .string(media.mimeType), "sha256": .string(media.sha256Hex),
                "file_size": .integer(Int64(media.bytes.count)), "id": .string(media.id), "messaging_product": "whatsapp",
            ]
            return OutboundHTTPResponse(status: .ok, headers: [.contentType: "application/json"], body: lookup.encoded(style: .metaWebhook))
        }
        guard let download = ConformanceMedia.download(for: request, from: hosted) else { return nil }
        return authorized ? download : Self.invalidToken
    }

    func handshake(challenge: String, tokenIsValid: Bool) -> WebhookRequest? {
        WebhookRequest(method: .get, query: ["hub.mode": "subscribe", "hub.challenge": challenge,
                                             "hub.verify_token": tokenIsValid ? TestSecrets.verifyToken : "wrong-token"])
    }

    /// The echo of this host's own send, with the id the send got back (`wamid.<id>`, see
    /// ``response(to:outcome:)``), as coexistence would echo it.
    func echoDelivery(of sent: ConformanceDelivery) -> WebhookRequest? {
        let text = MetaJSON.string(sent.message.text).encodedString(style: .metaWebhook)
        let echo = #"{"from":"15550783881","to":"\#(sent.message.recipient)","id":"wamid.\#(sent.messageID)","timestamp":"\#(Int64(sent.timestamp.timeIntervalSince1970))","type":"text","text":{"body":\#(text)}}"#
        return signedDelivery(envelope(field: "smb_message_echoes", #""message_echoes":[\#(echo)]"#))
    }

    /// A reply typed in the WhatsApp Business app (coexistence): an `smb_message_echoes` item.
    func humanReplyDelivery(_ reply: ConformanceHumanReply) -> WebhookRequest? {
        let text = MetaJSON.string(reply.text).encodedString(style: .metaWebhook)
        let echo = #"{"from":"15550783881","to":"\#(reply.recipient)","id":"\#(reply.id)","timestamp":"\#(reply.epochSeconds)","type":"text","text":{"body":\#(text)}}"#
        return signedDelivery(envelope(field: "smb_message_echoes", #""message_echoes":[\#(echo)]"#))
    }

    func statusDelivery(of sent: ConformanceDelivery) -> WebhookRequest? {
        let seconds = Int64(sent.timestamp.timeIntervalSince1970)
        let statuses = ["sent", "delivered", "read"].map {
            #"{"id":"\#(sent.messageID)","status":"\#($0)","timestamp":"\#(seconds)","recipient_id":"\#(sent.message.recipient)"}"#
        }
        return signedDelivery(envelope(#""statuses":[\#(statuses.joined(separator: ","))]"#))
    }

    func sentMessage(in request: OutboundHTTPRequest) -> ConformanceSentMessage? {
        guard request.method == .post, request.url.hasSuffix("/\(TestSecrets.phoneNumberID)/messages"),
              let json = request.body.flatMap({ try? MetaJSON.decode($0) }), json["status"] == nil,
              let to = json["to"]?.stringValue else { return nil }
        let text = json["text"]?["body"]?.stringValue ?? json["interactive"]?["body"]?["text"]?.stringValue ?? ""
        return ConformanceSentMessage(recipient: to, text: text)
    }

    /// Graph's answer to a missing or wrong token.
    static let invalidToken = OutboundHTTPResponse(status: .unauthorized, headers: [.contentType: "application/json"], body: Array(
        #"{"error":{"message":"Invalid OAuth access token - Cannot parse access token","type":"OAuthException","code":190,"fbtrace_id":"AcKr3YJm9F2"}}"#.utf8))

    /// A `messages` change with these items, and a contact for each sender.
    private func messagesDelivery(_ items: [String], from senders: [String], secret: String = TestSecrets.appSecret) -> WebhookRequest {
        let contacts = Set(senders).sorted().map { #"{"profile":{"name":"Test"},"wa_id":"\#($0)"}"# }
        return signedDelivery(envelope(#""contacts":[\#(contacts.joined(separator: ","))],"messages":[\#(items.joined(separator: ","))]"#), secret: secret)
    }

    /// A media message as the webhook carries it: the media id to look up, the MIME type, the
    /// base64 SHA-256 and the download URL.
    private func mediaDelivery(of message: ConformanceMediaMessage, type: String, extra: String) -> WebhookRequest {
        let media = message.media
        let mime = MetaJSON.string(media.mimeType).encodedString(style: .metaWebhook)
        let url = MetaJSON.string(media.url).encodedString(style: .metaWebhook)
        let sha256 = MetaJSON.string(media.sha256Base64).encodedString(style: .metaWebhook)
        let item = #"{"from":"\#(message.sender)","id":"\#(message.id)","timestamp":"\#(message.epochSeconds)","type":"\#(type)","\#(type)":{"mime_type":\#(mime),"sha256":\#(sha256),"id":"\#(media.id)","url":\#(url)\#(extra)}}"#
        return messagesDelivery([item], from: [message.sender])
    }

    func response(to request: OutboundHTTPRequest, outcome: ConformanceSendOutcome) -> OutboundHTTPResponse {
        switch outcome {
        case .success(let id):
            let to = request.body.flatMap { try? MetaJSON.decode($0) }?["to"]?.stringValue ?? ""
            let body: MetaJSON = request.body.flatMap { try? MetaJSON.decode($0) }?["status"] != nil
                ? ["success": true]
                : ["messaging_product": "whatsapp", "contacts": [["input": .string(to), "wa_id": .string(to)]], "messages": [["id": .string("wamid.\(id)")]]]
            return OutboundHTTPResponse(status: .ok, headers: [.contentType: "application/json"], body: body.encoded())
        case .transientFailure:
            return OutboundHTTPResponse(status: .badRequest, headers: [.contentType: "application/json"], body: Array(
                #"{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,"error_data":{"messaging_product":"whatsapp","details":"Cloud API message throughput has been reached."},"fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}}"#.utf8))
        case .permanentFailure:
            return OutboundHTTPResponse(status: .badRequest, headers: [.contentType: "application/json"], body: Array(
                #"{"error":{"message":"(#131030) Recipient phone number not in allowed list","type":"OAuthException","code":131030,"error_data":{"messaging_product":"whatsapp","details":"Recipient phone number not in allowed list: Add recipient phone number to recipient list and try again."},"fbtrace_id":"AHp3tTJ3Jd2r0b5u1Yt3CwL"}}"#.utf8))
        }
    }
}
