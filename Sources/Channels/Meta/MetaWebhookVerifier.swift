import ChannelKit
import Crypto
import HTTPTypes

/// Checks Meta webhook calls: the `GET` subscription handshake and the `POST` signature.
///
/// Both checks run in constant time and fail closed: an empty configured verify token never
/// matches, and an empty app secret rejects every delivery.
///
/// ```swift
/// let verifier = MetaWebhookVerifier(verifyToken: "my-token", appSecret: secret)
/// switch request.method {
/// case .get: return try verifier.verifyHandshake(query: request.query)          // .verified(challenge:)
/// case .post: try verifier.verifySignature(headers: request.headers, body: request.body)
/// default: throw ChannelError(.methodNotAllowed, "…")
/// }
/// ```
public struct MetaWebhookVerifier: Sendable {
    /// The verify token configured in Meta's App Dashboard.
    private let verifyToken: String
    /// The payload HMAC keyed with the app secret; `nil` when no app secret is configured.
    private let keyedMAC: HMAC<SHA256>?

    /// Creates a verifier.
    /// - Parameters:
    ///   - verifyToken: the verify token set in the App Dashboard; empty fails every handshake.
    ///   - appSecret: the app secret; empty fails every delivery.
    public init(verifyToken: String, appSecret: String) {
        self.verifyToken = verifyToken
        self.keyedMAC = MetaSignature.keyedMAC(secret: appSecret)
    }

    /// Answers the subscription handshake:
    /// `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`.
    /// - Parameter query: the request's query parameters.
    /// - Returns: `.verified(challenge:)` echoing `hub.challenge` exactly as received.
    /// - Throws: ``ChannelError`` `.forbidden` when the mode is not `subscribe`, the token does
    ///   not match (or none is configured), or there is no challenge.
    public func verifyHandshake(query: [String: String]) throws -> WebhookOutcome {
        guard query["hub.mode"] == "subscribe" else {
            throw ChannelError.forbidden("webhook handshake: hub.mode is not subscribe")
        }
        guard Self.constantTimeEquals(query["hub.verify_token"] ?? "", verifyToken) else {
            throw ChannelError.forbidden("webhook handshake: verify token does not match")
        }
        guard let challenge = query["hub.challenge"], !challenge.isEmpty else {
            throw ChannelError.forbidden("webhook handshake: hub.challenge is missing")
        }
        return .verified(challenge: challenge)
    }

    /// Checks `X-Hub-Signature-256` over the raw body. Call it before reading the body at all.
    /// - Parameters:
    ///   - headers: the request headers.
    ///   - body: the body exactly as received.
    /// - Throws: ``ChannelError`` `.forbidden` when the header is missing or malformed, the
    ///   signature does not match, or no app secret is configured.
    public func verifySignature(headers: HTTPFields, body: [UInt8]) throws {
        guard let keyedMAC else {
            throw ChannelError.forbidden("webhook signature: no app secret is configured")
        }
        guard let header = headers[MetaSignature.headerName] else {
            throw ChannelError.forbidden("webhook signature: X-Hub-Signature-256 is missing")
        }
        guard MetaSignature.isValid(header, body: body, keyed: keyedMAC) else {
            throw ChannelError.forbidden("webhook signature: X-Hub-Signature-256 does not verify")
        }
    }

    /// Compares two secrets in time that depends on neither their contents nor where they
    /// differ: both are reduced to HMACs under a fresh random key, and the MACs are compared
    /// with swift-crypto's constant-time check. An empty `expected` never matches.
    static func constantTimeEquals(_ given: String, _ expected: String) -> Bool {
        guard !expected.isEmpty else { return false }
        let key = SymmetricKey(size: .bits256)
        let givenMAC = HMAC<SHA256>.authenticationCode(for: Array(given.utf8), using: key)
        return HMAC<SHA256>.isValidAuthenticationCode(Array(givenMAC), authenticating: Array(expected.utf8), using: key)
    }
}
