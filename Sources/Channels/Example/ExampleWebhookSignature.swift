import ChannelKit
import Crypto
import Foundation

/// The example channel's signature: `X-Signature: sha256=<hex>`, the HMAC-SHA256 of the raw
/// body bytes keyed by the shared signing secret.
///
/// ```swift
/// let header = ExampleWebhookSignature.sign(body: body, secret: secret)     // "sha256=3f1c…"
/// ExampleWebhookSignature.isValid(header, body: body, secret: secret)      // true
/// ```
public enum ExampleWebhookSignature {
    /// The header the signature travels in.
    public static let headerName = HTTPField.Name("X-Signature")!
    /// The prefix of the header value.
    public static let prefix = "sha256="

    /// Signs a body.
    /// - Parameters:
    ///   - body: the exact bytes that will be sent.
    ///   - secret: the signing secret.
    /// - Returns: the header value, `sha256=` followed by 64 lowercase hex digits.
    public static func sign(body: [UInt8], secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
        return prefix + Hex.encode(Array(mac))
    }

    /// Checks a signature header against a body, in constant time (swift-crypto's MAC check).
    /// An empty secret, a missing header, a missing prefix or anything but 64 hex digits fails.
    /// - Parameters:
    ///   - header: the `X-Signature` value, if the request had one.
    ///   - body: the raw body bytes as received.
    ///   - secret: the signing secret.
    /// - Returns: whether the signature is the body's HMAC under the secret.
    public static func isValid(_ header: String?, body: [UInt8], secret: String) -> Bool {
        guard !secret.isEmpty, let header, header.hasPrefix(prefix) else { return false }
        let hex = header.utf8.dropFirst(prefix.utf8.count)
        guard hex.count == SHA256.byteCount * 2, let mac = Hex.decode(hex) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: SymmetricKey(data: Array(secret.utf8)))
    }
}
