import Crypto
import Foundation

/// The `signed_request` Meta posts to an app's data deletion and deauthorize callbacks:
/// `<signature>.<payload>`, both base64url without padding; the signature is the
/// HMAC-SHA256 of the payload part (the base64url text as received) keyed by the app secret;
/// the payload is JSON with `algorithm` (`HMAC-SHA256`), `user_id` (the app-scoped user id)
/// and `issued_at`.
///
/// ```swift
/// let value = MetaSignedRequest.sign(userID: "218471", issuedAt: 1_700_000_000, secret: appSecret)
/// let request = try MetaSignedRequest.verify(value, secrets: [appSecret])
/// request.userID    // "218471"
/// ```
public struct MetaSignedRequest: Sendable, Hashable {
    /// The app-scoped id of the person.
    public var userID: String
    /// When Meta issued the request (seconds since 1970), if it said.
    public var issuedAt: Int64?
    /// The secret that verified it: which app the request came for.
    public var secret: String

    /// Why a signed request was refused.
    public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        /// Refusal kinds.
        public enum Code: String, Sendable, Hashable {
            /// Not `signature.payload` in base64url, or a payload that is not the expected JSON.
            case malformed
            /// No configured app secret signed it.
            case badSignature
        }
        /// The kind.
        public var code: Code
        /// What was wrong (never the request's content).
        public var message: String

        /// Creates a refusal.
        public init(code: Code, message: String) {
            self.code = code
            self.message = message
        }

        public var description: String { "\(code.rawValue): \(message)" }
    }

    /// Checks `value` against each secret, in constant time per secret.
    /// - Returns: the request, with the secret that signed it.
    /// - Throws: ``Refusal``.
    public static func verify(_ value: String, secrets: [String]) throws -> MetaSignedRequest {
        let pieces = value.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count == 2, let signature = base64URLDecode(pieces[0]), signature.count == SHA256.byteCount,
              let payloadBytes = base64URLDecode(pieces[1]) else {
            throw Refusal(code: .malformed, message: "not a base64url signature.payload pair")
        }
        let signedPart = Array(pieces[1].utf8)
        guard let secret = secrets.first(where: { secret in
            guard let keyed = MetaSignature.keyedMAC(secret: secret) else { return false }
            var mac = keyed
            mac.update(data: signedPart)
            // swift-crypto compares a code with bytes in constant time.
            return mac.finalize() == signature
        }) else {
            throw Refusal(code: .badSignature, message: "the signature matches no configured app secret")
        }
        guard let payload = try? JSONSerialization.jsonObject(with: Data(payloadBytes)) as? [String: Any] else {
            throw Refusal(code: .malformed, message: "the payload is not a JSON object")
        }
        guard let algorithm = payload["algorithm"] as? String, algorithm.uppercased() == "HMAC-SHA256" else {
            throw Refusal(code: .malformed, message: "the payload's algorithm is not HMAC-SHA256")
        }
        let userID: String
        if let text = payload["user_id"] as? String, !text.isEmpty {
            userID = text
        } else if let number = payload["user_id"] as? NSNumber {
            userID = number.stringValue
        } else {
            throw Refusal(code: .malformed, message: "the payload has no user_id")
        }
        let issuedAt = (payload["issued_at"] as? NSNumber)?.int64Value
        return MetaSignedRequest(userID: userID, issuedAt: issuedAt, secret: secret)
    }

    /// Makes a `signed_request` the way Meta does (for tests and emulators).
    public static func sign(userID: String, issuedAt: Int64, secret: String) -> String {
        let json = #"{"algorithm":"HMAC-SHA256","expires":0,"issued_at":\#(issuedAt),"user_id":"\#(userID)"}"#
        let payload = base64URLEncode(Array(json.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(payload.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return base64URLEncode(Array(mac)) + "." + payload
    }

    /// base64url without padding.
    static func base64URLEncode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// base64url, padded or not; `nil` for anything else.
    static func base64URLDecode(_ text: Substring) -> [UInt8]? {
        guard !text.isEmpty, text.utf8.allSatisfy({ byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "=")
        }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 = base64.replacingOccurrences(of: "=", with: "")
        while base64.count % 4 != 0 { base64.append("=") }
        return Data(base64Encoded: base64).map { Array($0) }
    }
}
