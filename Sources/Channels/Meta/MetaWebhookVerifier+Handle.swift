import ChannelKit

extension MetaWebhookVerifier {
    /// What every Meta channel's `handle` does: answers the `GET` handshake, or checks the
    /// `POST` signature over the raw body and only then parses it.
    /// - Parameters:
    ///   - request: the webhook request.
    ///   - parse: reads a verified body into events; called only after the signature holds.
    /// - Returns: `.verified(challenge:)` for the handshake, `.events` for a delivery.
    /// - Throws: ``ChannelError`` `.forbidden` (handshake or signature), what `parse` throws,
    ///   or `.methodNotAllowed` for any other method.
    public func handle(_ request: WebhookRequest, parse: (_ body: [UInt8]) throws -> [InboundEvent]) throws -> WebhookOutcome {
        switch request.method {
        case .get:
            return try verifyHandshake(query: request.query)
        case .post:
            try verifySignature(headers: request.headers, body: request.body)
            return .events(try parse(request.body))
        default:
            throw ChannelError(.methodNotAllowed, "the webhook takes GET and POST only")
        }
    }
}
