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
        let contacts = Set(messages.map(\.sender)).sorted().map { #"{"profile":{"name":"Test"},"wa_id":"\#($0)"}"# }
        let body = envelope(#""contacts":[\#(contacts.joined(separator: ","))],"messages":[\#(items.joined(separator: ","))]"#)
        return signedDelivery(body, secret: signature == .valid ? TestSecrets.appSecret : "not-the-app-secret")
    }

    func handshake(challenge: String, tokenIsValid: Bool) -> WebhookRequest? {
        WebhookRequest(method: .get, query: ["hub.mode": "subscribe", "hub.challenge": challenge,
                                             "hub.verify_token": tokenIsValid ? TestSecrets.verifyToken : "wrong-token"])
    }

    func echoDelivery(of sent: ConformanceDelivery) -> WebhookRequest? {
        let text = MetaJSON.string(sent.message.text).encodedString(style: .metaWebhook)
        let echo = #"{"from":"15550783881","to":"\#(sent.message.recipient)","id":"\#(sent.messageID)","timestamp":"\#(Int64(sent.timestamp.timeIntervalSince1970))","type":"text","text":{"body":\#(text)}}"#
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
