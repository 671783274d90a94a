import ChannelKit
import ChannelKitTesting
import Foundation
import MetaPlatform

/// The Instagram channel, as the conformance kit drives it: Messenger-style webhooks in,
/// Send API calls out, errors in Graph's format.
struct InstagramSubject: ChannelConformanceSubject {
    static let account = "17841405309211844"

    func makeChannel(http: any HTTPTransport) throws -> any Channel {
        try InstagramChannelTests.makeChannel(settings(), http: http)
    }

    func delivery(of messages: [ConformanceMessage], signature: ConformanceSignature) -> WebhookRequest {
        let items = messages.map { message in
            let text = MetaJSON.string(message.text).encodedString(style: .metaWebhook)
            return #"{"sender":{"id":"\#(message.sender)"},"recipient":{"id":"\#(Self.account)"},"timestamp":\#(message.epochMilliseconds),"message":{"mid":"\#(message.id)","text":\#(text)}}"#
        }
        let body = envelope(account: Self.account, time: messages.map(\.epochMilliseconds).max() ?? 0, messaging: items.joined(separator: ","))
        return signedDelivery(body, secret: signature == .valid ? TestSecrets.appSecret : "not-the-app-secret")
    }

    func imageDelivery(of message: ConformanceMediaMessage) -> WebhookRequest? {
        attachmentDelivery(of: message, type: "image")
    }

    /// Voice notes arrive as `audio` attachments.
    func voiceNoteDelivery(of message: ConformanceMediaMessage) -> WebhookRequest? {
        attachmentDelivery(of: message, type: "audio")
    }

    /// Instagram's CDN serves voice notes as `video/mp4`: an MP4 with one sound track.
    var voiceNoteFile: ConformanceMediaFile { ConformanceMediaFile(bytes: ConformanceMediaFile.mp4VoiceNote.bytes, mimeType: "video/mp4") }

    /// The path of `lookaside.fbsbx.com` attachment URLs.
    func mediaPath(for id: String) -> String { "/ig_messaging_cdn/?asset_id=\(id)&signature=AbyoRMtw\(id)" }

    /// A message with one attachment whose payload carries the CDN URL.
    private func attachmentDelivery(of message: ConformanceMediaMessage, type: String) -> WebhookRequest {
        let url = MetaJSON.string(message.media.url).encodedString(style: .metaWebhook)
        let item = #"{"sender":{"id":"\#(message.sender)"},"recipient":{"id":"\#(Self.account)"},"timestamp":\#(message.epochMilliseconds),"message":{"mid":"\#(message.id)","attachments":[{"type":"\#(type)","payload":{"url":\#(url)}}]}}"#
        return signedDelivery(envelope(account: Self.account, time: message.epochMilliseconds, messaging: item))
    }

    func handshake(challenge: String, tokenIsValid: Bool) -> WebhookRequest? {
        WebhookRequest(method: .get, query: ["hub.mode": "subscribe", "hub.challenge": challenge,
                                             "hub.verify_token": tokenIsValid ? TestSecrets.verifyToken : "wrong-token"])
    }

    func echoDelivery(of sent: ConformanceDelivery) -> WebhookRequest? {
        let millis = Int64(sent.timestamp.timeIntervalSince1970) * 1000
        let text = MetaJSON.string(sent.message.text).encodedString(style: .metaWebhook)
        let item = #"{"sender":{"id":"\#(Self.account)"},"recipient":{"id":"\#(sent.message.recipient)"},"timestamp":\#(millis),"message":{"mid":"\#(sent.messageID)","text":\#(text),"is_echo":true}}"#
        return signedDelivery(envelope(account: Self.account, time: millis, messaging: item))
    }

    /// A reply typed in the Instagram app: an echo with no app id.
    func humanReplyDelivery(_ reply: ConformanceHumanReply) -> WebhookRequest? {
        let text = MetaJSON.string(reply.text).encodedString(style: .metaWebhook)
        let item = #"{"sender":{"id":"\#(Self.account)"},"recipient":{"id":"\#(reply.recipient)"},"timestamp":\#(reply.epochMilliseconds),"message":{"mid":"\#(reply.id)","text":\#(text),"is_echo":true}}"#
        return signedDelivery(envelope(account: Self.account, time: reply.epochMilliseconds, messaging: item))
    }

    func statusDelivery(of sent: ConformanceDelivery) -> WebhookRequest? {
        let millis = Int64(sent.timestamp.timeIntervalSince1970) * 1000
        let item = #"{"sender":{"id":"\#(sent.message.recipient)"},"recipient":{"id":"\#(Self.account)"},"timestamp":\#(millis),"read":{"mid":"\#(sent.messageID)"}}"#
        return signedDelivery(envelope(account: Self.account, time: millis, messaging: item))
    }

    func sentMessage(in request: OutboundHTTPRequest) -> ConformanceSentMessage? {
        guard request.method == .post, request.url.hasSuffix("/me/messages"),
              let json = request.body.flatMap({ try? MetaJSON.decode($0) }),
              let recipient = json["recipient"]?["id"]?.stringValue, let text = json["message"]?["text"]?.stringValue else { return nil }
        return ConformanceSentMessage(recipient: recipient, text: text)
    }

    func response(to request: OutboundHTTPRequest, outcome: ConformanceSendOutcome) -> OutboundHTTPResponse {
        let recipient = request.body.flatMap { try? MetaJSON.decode($0) }?["recipient"]?["id"]?.stringValue ?? ""
        switch outcome {
        case .success(let id):
            let body: MetaJSON = ["recipient_id": .string(recipient), "message_id": .string(id)]
            return OutboundHTTPResponse(status: .ok, headers: [.contentType: "application/json"], body: body.encoded())
        case .transientFailure:
            return OutboundHTTPResponse(status: .internalServerError, headers: [.contentType: "application/json"], body: Array(
                #"{"error":{"message":"An unexpected error has occurred. Please retry your request later.","type":"OAuthException","code":2,"fbtrace_id":"A1b2"}}"#.utf8))
        case .permanentFailure:
            return OutboundHTTPResponse(status: .badRequest, headers: [.contentType: "application/json"], body: Array(
                #"{"error":{"message":"This message is sent outside of allowed window.","type":"OAuthException","code":10,"error_subcode":2534022,"fbtrace_id":"A1b2"}}"#.utf8))
        }
    }
}
