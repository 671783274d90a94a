import ChannelKit
import ChannelKitTesting
import Foundation
import HTTPTypes
import MetaPlatform

/// The Messenger channel as the conformance kit drives it: Page webhooks in, the Send API on
/// `/<page-id>/messages` out, errors in Graph's format.
struct MessengerSubject: ChannelConformanceSubject {
    func makeChannel(http: any HTTPTransport) throws -> any Channel {
        try Page.channel(http: http)
    }

    /// A JSON string as Meta writes it in webhooks (`\uXXXX`, `\/`).
    private func quoted(_ text: String) -> String {
        MetaJSON.string(text).encodedString(style: .metaWebhook)
    }

    func delivery(of messages: [ConformanceMessage], signature: ConformanceSignature) -> WebhookRequest {
        let items = messages.map { Page.item($0.sender, $0.epochMilliseconds, "message", #"{"mid":"\#($0.id)","text":\#(quoted($0.text))}"#) }
        return Page.signed(Page.webhook([items]), secret: signature == .valid ? Page.appSecret : "someone-else's-secret")
    }

    func imageDelivery(of message: ConformanceMediaMessage) -> WebhookRequest? {
        attachment(message, type: "image")
    }

    func voiceNoteDelivery(of message: ConformanceMediaMessage) -> WebhookRequest? {
        attachment(message, type: "audio")
    }

    /// Messenger's CDN path shape for attachments (`cdn.fbsbx.com/v/t59.3654-21/…`).
    func mediaPath(for id: String) -> String { "/v/t59.3654-21/\(id)_n.mp4?_nc_cat=1&oh=00_Ab\(id)" }

    private func attachment(_ message: ConformanceMediaMessage, type: String) -> WebhookRequest {
        let value = #"{"mid":"\#(message.id)","attachments":[{"type":"\#(type)","payload":{"url":\#(quoted(message.media.url))}}]}"#
        return Page.signed(Page.webhook([[Page.item(message.sender, message.epochMilliseconds, "message", value)]]))
    }

    /// When Meta reports a sent message's echo or delivery: the time the fake accepted it.
    private func millis(_ sent: ConformanceDelivery) -> Int64 { Int64(sent.timestamp.timeIntervalSince1970) * 1000 }

    func handshake(challenge: String, tokenIsValid: Bool) -> WebhookRequest? {
        WebhookRequest(method: .get, query: ["hub.mode": "subscribe", "hub.challenge": challenge,
                                             "hub.verify_token": tokenIsValid ? Page.verifyToken : "a-guess"])
    }

    func echoDelivery(of sent: ConformanceDelivery) -> WebhookRequest? {
        let value = #"{"is_echo":true,"app_id":1517776481860111,"mid":"\#(sent.messageID)","text":\#(quoted(sent.message.text))}"#
        return Page.signed(Page.webhook([[Page.item(sent.message.recipient, millis(sent), "message", value, fromPage: true)]]))
    }

    func statusDelivery(of sent: ConformanceDelivery) -> WebhookRequest? {
        let value = #"{"mids":["\#(sent.messageID)"],"watermark":\#(millis(sent))}"#
        return Page.signed(Page.webhook([[Page.item(sent.message.recipient, millis(sent), "delivery", value)]]))
    }

    /// A reply typed in Meta Business Suite's inbox: an echo carrying the inbox app's id.
    func humanReplyDelivery(_ reply: ConformanceHumanReply) -> WebhookRequest? {
        let value = #"{"is_echo":true,"app_id":263902037430900,"mid":"\#(reply.id)","text":\#(quoted(reply.text))}"#
        return Page.signed(Page.webhook([[Page.item(reply.recipient, reply.epochMilliseconds, "message", value, fromPage: true)]]))
    }

    /// A Send API call's JSON body, when it has one.
    private func json(_ request: OutboundHTTPRequest) -> MetaJSON? {
        request.body.flatMap { try? MetaJSON.decode($0) }
    }

    /// A text to a person on the Page's `/messages`; typing indicators carry no `message`.
    func sentMessage(in request: OutboundHTTPRequest) -> ConformanceSentMessage? {
        guard request.method == .post, request.url.hasSuffix("/\(Page.id)/messages"), let body = json(request) else { return nil }
        return body["message"]?["text"]?.stringValue.flatMap { text in
            body["recipient"]?["id"]?.stringValue.map { ConformanceSentMessage(recipient: $0, text: text) }
        }
    }

    func response(to request: OutboundHTTPRequest, outcome: ConformanceSendOutcome) -> OutboundHTTPResponse {
        let recipient = json(request)?["recipient"]?["id"]?.stringValue ?? ""
        let (status, body): (HTTPResponse.Status, String) = switch outcome {
        case .success(let id): (.ok, #"{"recipient_id":"\#(recipient)","message_id":"\#(id)"}"#)
        case .transientFailure:
            (.serviceUnavailable, #"{"error":{"message":"(#2) Service temporarily unavailable","type":"OAuthException","is_transient":true,"code":2,"fbtrace_id":"Am3x"}}"#)
        case .permanentFailure:
            (.badRequest, #"{"error":{"message":"(#10) This message is sent outside of allowed window.","type":"OAuthException","code":10,"error_subcode":2018278,"fbtrace_id":"Am3x"}}"#)
        }
        return OutboundHTTPResponse(status: status, headers: [.contentType: "application/json"], body: Array(body.utf8))
    }
}
