import ChannelKit
import Crypto
import Foundation
import HTTPTypes

/// Meta's webhook signature: `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw
/// body bytes keyed by the app secret.
///
/// Meta signs the body exactly as it sends it, which is ASCII with `\uXXXX` and `\/` escapes;
/// so the MAC is computed over the bytes received, never over re-encoded JSON.
///
/// ```swift
/// let header = MetaSignature.sign(body: body, secret: appSecret)     // "sha256=3f1c…"
/// MetaSignature.isValid(header, body: body, secret: appSecret)      // true
/// ```
public enum MetaSignature {
    /// The header Meta puts the signature in.
    public static let headerName = HTTPField.Name("X-Hub-Signature-256")!

    /// The prefix of the header value.
    public static let prefix = "sha256="

    /// Signs a body the way Meta does.
    /// - Parameters:
    ///   - body: the exact bytes that will be sent.
    ///   - secret: the app secret.
    /// - Returns: the header value, `sha256=` followed by 64 lowercase hex digits.
    public static func sign(body: some DataProtocol, secret: String) -> String {
        let key = SymmetricKey(data: Array(secret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: key)
        return prefix + Hex.encode(Array(mac))
    }

    /// Checks a signature header against a body, in constant time.
    ///
    /// Returns `false` for a missing header, a value without the `sha256=` prefix, hex that
    /// is not exactly 64 hex digits, or an empty secret (an empty secret would let anyone who
    /// guesses it sign).
    /// - Parameters:
    ///   - header: the `X-Hub-Signature-256` value, if the request had one.
    ///   - body: the raw body bytes as received.
    ///   - secret: the app secret.
    /// - Returns: whether the signature is the body's HMAC under the secret.
    public static func isValid(_ header: String?, body: some DataProtocol, secret: String) -> Bool {
        guard let keyed = keyedMAC(secret: secret) else { return false }
        return isValid(header, body: body, keyed: keyed)
    }

    /// An HMAC keyed with `secret`, ready for ``isValid(_:body:keyed:)``; `nil` for an empty
    /// secret. Keying hashes the secret's pads, so a verifier keys once and copies the result
    /// for every delivery.
    public static func keyedMAC(secret: String) -> HMAC<SHA256>? {
        guard !secret.isEmpty else { return nil }
        return HMAC<SHA256>(key: SymmetricKey(data: Array(secret.utf8)))
    }

    /// Checks a signature header against a body with an HMAC keyed by ``keyedMAC(secret:)``,
    /// in constant time; `false` for the same malformed headers as ``isValid(_:body:secret:)``.
    public static func isValid(_ header: String?, body: some DataProtocol, keyed: HMAC<SHA256>) -> Bool {
        guard let header, header.hasPrefix(prefix) else { return false }
        let hex = header.utf8.dropFirst(prefix.utf8.count)
        guard hex.count == SHA256.byteCount * 2, let mac = Hex.decode(hex) else { return false }
        var hmac = keyed
        hmac.update(data: body)
        // swift-crypto compares a code with bytes in constant time.
        return hmac.finalize() == mac
    }
}
