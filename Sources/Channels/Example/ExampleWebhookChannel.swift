import ChannelKit
import Foundation
import Logging

/// A generic HMAC-signed JSON webhook channel: the smallest complete channel, and the one
/// `docs/adding-a-channel.md` walks through.
///
/// - In: `POST /api/channels/<name>` with `X-Signature: sha256=<hex>` (HMAC-SHA256 of the raw
///   body with `signing_secret`) and a JSON body — one item or an array; see
///   ``ExampleWebhookPayload`` for the shape. Photos and voice notes come as attachments with
///   a URL; the pipeline fetches them (the default ``Channel/mediaSource(for:logger:)``) from
///   the hosts the host's `media_allowed_hosts` names, since the example platform has none of
///   its own.
/// - Out: each reply part is `POST`ed to `reply_url` as `{"to": <from>, "text": <text>}` with
///   `Authorization: Bearer <access_token>`; the answer `{"id": …}` is the receipt.
///
/// ```swift
/// var registry = ChannelRegistry()
/// registry.register(.webhook)
/// ```
public struct ExampleWebhookChannel: Channel {
    /// The configured name, also the last path component of the webhook URL.
    public let name: String
    /// Plain text within `max_message_characters` characters.
    public let profile: ChannelProfile

    private let configuration: ExampleWebhookConfiguration
    private let http: any HTTPTransport

    init(name: String, configuration: ExampleWebhookConfiguration, http: any HTTPTransport) {
        self.name = name
        self.configuration = configuration
        self.http = http
        self.profile = ChannelProfile(formatting: .plain,
                                      textLimit: TextLimit(maximum: configuration.maxMessageCharacters, unit: .characters))
    }

    // MARK: Webhooks

    /// Verifies and parses a `POST` delivery. There is no handshake: any other method is
    /// refused.
    /// - Throws: ``ChannelError`` `.forbidden` (signature), `.malformedPayload`, `.methodNotAllowed`.
    public func handle(_ request: WebhookRequest, logger: Logger) throws -> WebhookOutcome {
        guard request.method == .post else {
            throw ChannelError(.methodNotAllowed, "the webhook takes POST only")
        }
        guard ExampleWebhookSignature.isValid(request.headers[ExampleWebhookSignature.headerName], body: request.body,
                                              secret: configuration.signingSecret) else {
            throw ChannelError.forbidden("webhook signature: X-Signature is missing or does not verify")
        }
        let events = try ExampleWebhookPayload.items(in: request.body).map { try $0.event(channel: name, account: name) }
        return .events(events)
    }

    // MARK: Sending

    /// Posts one reply part to `reply_url`.
    /// - Returns: the receipt carrying the `id` the receiver answered.
    /// - Throws: ``ChannelError`` — `.transient` for timeouts, lost connections, 429 and 5xx;
    ///   `.unauthorized` for 401 and 403; `.permanent` for other refusals; `.misconfigured`
    ///   when no `reply_url` is set.
    public func send(_ message: OutboundMessage, to recipient: Recipient, logger: Logger) async throws -> SendReceipt {
        guard !configuration.replyURL.isEmpty else {
            throw ChannelError(.misconfigured, "no reply_url is configured")
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.accept] = "application/json"
        if !configuration.accessToken.isEmpty {
            headers[.authorization] = "Bearer \(configuration.accessToken)"
        }
        let body = try JSONEncoder.sorted.encode(OutboundBody(to: recipient.userID, text: message.text))
        let request = OutboundHTTPRequest(method: .post, url: configuration.replyURL, headers: headers, body: Array(body),
                                          timeout: .seconds(15), maxResponseBytes: 64 * 1024)
        let response: OutboundHTTPResponse
        do {
            response = try await http.execute(request)
        } catch let error as HTTPTransportError {
            switch error.code {
            case .timeout, .connectionFailed: throw ChannelError.transient("reply_url: \(error.code.rawValue)")
            case .invalidURL: throw ChannelError(.misconfigured, "reply_url is not a usable URL")
            case .responseTooLarge: throw ChannelError.permanent("reply_url answered more than 64 KiB")
            }
        }
        switch response.status.code {
        case 200...299:
            let answer = try? JSONDecoder().decode(ReceiptBody.self, from: Data(response.body))
            return SendReceipt(platformMessageID: answer?.id)
        case 429, 500...599:
            let retryAfter = response.headers[.retryAfter].flatMap { Int($0) }.map { Duration.seconds(min($0, 3600)) }
            throw ChannelError.transient("reply_url answered HTTP \(response.status.code)", retryAfter: retryAfter)
        case 401, 403:
            throw ChannelError.unauthorized("reply_url refused the access token (HTTP \(response.status.code))")
        default:
            throw ChannelError.permanent("reply_url refused the reply (HTTP \(response.status.code))")
        }
    }

    private struct OutboundBody: Encodable {
        var to: String
        var text: String
    }

    private struct ReceiptBody: Decodable {
        var id: String?
    }
}

extension JSONEncoder {
    /// Compact JSON with sorted keys, so bodies are stable.
    fileprivate static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
