import Crypto
import Foundation
import MetaPlatform
import Testing

@Suite("Meta signed_request")
struct SignedRequestTests {
    /// The example from Meta's data deletion callback guide, built here step by step the way
    /// Meta does: payload JSON → base64url; HMAC-SHA256 of that text → base64url; joined by a dot.
    static func handMade(userID: String, secret: String) -> String {
        func base64URL(_ bytes: some Sequence<UInt8>) -> String {
            Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let payload = base64URL(Array(#"{"user_id":"\#(userID)","algorithm":"HMAC-SHA256","issued_at":1765000000}"#.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(payload.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return base64URL(mac) + "." + payload
    }

    @Test("a request signed with a configured secret gives the user id and the secret that signed it")
    func verifies() throws {
        let value = Self.handMade(userID: "1234567890", secret: "second-secret")
        let request = try MetaSignedRequest.verify(value, secrets: ["first-secret", "second-secret"])
        #expect(request.userID == "1234567890")
        #expect(request.issuedAt == 1_765_000_000)
        #expect(request.secret == "second-secret")
        #expect(try MetaSignedRequest.verify(MetaSignedRequest.sign(userID: "42", issuedAt: 1, secret: "s"), secrets: ["s"]).userID == "42")
    }

    @Test("a wrong secret, a tampered payload and malformed values are refused")
    func refuses() {
        let value = Self.handMade(userID: "1234567890", secret: "right")
        #expect(throws: MetaSignedRequest.Refusal(code: .badSignature, message: "the signature matches no configured app secret")) {
            try MetaSignedRequest.verify(value, secrets: ["wrong", ""])
        }
        let parts = value.split(separator: ".")
        let other = Self.handMade(userID: "999", secret: "right").split(separator: ".")[1]
        #expect(throws: MetaSignedRequest.Refusal.self) { try MetaSignedRequest.verify("\(parts[0]).\(other)", secrets: ["right"]) }
        for malformed in ["", "abc", "a.b.c", "\(parts[0]).", ".\(parts[1])", "!!!.\(parts[1])", "\(parts[0])x.\(parts[1])"] {
            #expect(throws: MetaSignedRequest.Refusal.self, "\(malformed)") { try MetaSignedRequest.verify(malformed, secrets: ["right"]) }
        }
        #expect(throws: MetaSignedRequest.Refusal.self) { try MetaSignedRequest.verify(value, secrets: []) }
    }
}
