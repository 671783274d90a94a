import ChannelKit
import ChannelKitTesting
import ExampleWebhookChannel
import Foundation
import Logging

/// The example webhook channel, as the conformance kit drives it: signed JSON bodies in,
/// `{"to","text"}` posts to the reply URL out.
struct ExampleWebhookSubject: ChannelConformanceSubject {
    static let secret = "example-signing-secret"
    static let replyURL = "https://replies.example.com/send"
    static let token = "example-access-token"

    func makeChannel(http: any HTTPTransport) throws -> any Channel {
        let settings = ChannelSettings(["signing_secret": Self.secret, "reply_url": Self.replyURL, "access_token": Self.token])
        let context = ChannelContext(http: http, logger: Logger(label: "example", factory: { _ in SwiftLogNoOpLogHandler() }),
                                     localBaseURL: "http://127.0.0.1:8080", sandboxMode: false)
        return try ExampleWebhookChannelFactory().makeChannel(name: "webhook", settings: settings, context: context)
    }

    func delivery(of messages: [ConformanceMessage], signature: ConformanceSignature) -> WebhookRequest {
        let items: [[String: Any]] = messages.map { ["id": $0.id, "from": $0.sender, "text": $0.text, "timestamp": $0.epochSeconds] }
        return signed(items, secret: signature == .valid ? Self.secret : "not-the-secret")
    }

    func handshake(challenge: String, tokenIsValid: Bool) -> WebhookRequest? { nil }

    func imageDelivery(of message: ConformanceMediaMessage) -> WebhookRequest? {
        attachmentDelivery(of: message, type: "image")
    }

    func voiceNoteDelivery(of message: ConformanceMediaMessage) -> WebhookRequest? {
        attachmentDelivery(of: message, type: "audio")
    }

    /// A message whose one attachment carries the media's URL.
    private func attachmentDelivery(of message: ConformanceMediaMessage, type: String) -> WebhookRequest {
        let attachment: [String: Any] = ["type": type, "url": message.media.url, "mime_type": message.media.mimeType]
        return signed([["id": message.id, "from": message.sender, "timestamp": message.epochSeconds, "attachments": [attachment]]], secret: Self.secret)
    }

    func echoDelivery(of sent: ConformanceDelivery) -> WebhookRequest? {
        signed([["type": "echo", "id": sent.messageID, "from": sent.message.recipient, "text": sent.message.text,
                 "timestamp": Int64(sent.timestamp.timeIntervalSince1970)]], secret: Self.secret)
    }

    func humanReplyDelivery(_ reply: ConformanceHumanReply) -> WebhookRequest? {
        signed([["type": "echo", "id": reply.id, "from": reply.recipient, "text": reply.text, "timestamp": reply.epochSeconds]],
               secret: Self.secret)
    }

    func statusDelivery(of sent: ConformanceDelivery) -> WebhookRequest? {
        signed([["type": "status", "id": "st-\(sent.messageID)", "from": sent.message.recipient, "message_id": sent.messageID,
                 "status": "delivered", "timestamp": Int64(sent.timestamp.timeIntervalSince1970)]], secret: Self.secret)
    }

    func sentMessage(in request: OutboundHTTPRequest) -> ConformanceSentMessage? {
        guard request.method == .post, request.url == Self.replyURL, let body = request.body,
              let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let to = json["to"] as? String, let text = json["text"] as? String else { return nil }
        return ConformanceSentMessage(recipient: to, text: text)
    }

    func response(to request: OutboundHTTPRequest, outcome: ConformanceSendOutcome) -> OutboundHTTPResponse {
        switch outcome {
        case .success(let id):
            OutboundHTTPResponse(status: .ok, headers: [.contentType: "application/json"], body: Array(#"{"id":"\#(id)"}"#.utf8))
        case .transientFailure:
            OutboundHTTPResponse(status: .serviceUnavailable, headers: [.retryAfter: "0"])
        case .permanentFailure:
            OutboundHTTPResponse(status: HTTPResponse.Status(code: 422), body: Array(#"{"error":"unknown recipient"}"#.utf8))
        }
    }

    private func signed(_ items: [[String: Any]], secret: String) -> WebhookRequest {
        let body = Array((try? JSONSerialization.data(withJSONObject: items, options: [.sortedKeys])) ?? Data())
        return WebhookRequest(method: .post, headers: [.contentType: "application/json",
                                                       ExampleWebhookSignature.headerName: ExampleWebhookSignature.sign(body: body, secret: secret)],
                              body: body)
    }
}
