import ChannelKit
import Crypto
import Foundation
import HTTPTypes
import MetaPlatform
import Testing

@Suite("Webhook signature (X-Hub-Signature-256)")
struct SignatureTests {
    /// A body written the way Meta writes it: ASCII only, `\uXXXX` escapes, `\/` slashes.
    static let capturedBody = #"{"object":"instagram","entry":[{"time":1700000000123,"id":"17841405309211844","messaging":[{"sender":{"id":"1254459154682919"},"recipient":{"id":"17841405309211844"},"timestamp":1700000000100,"message":{"mid":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1MzA5MjExODQ0OjM0MDI4MjM2Njg0MTcxMDMwMTI0NDI1OTIwOTkxNjU5NDY1ODg1NToyMjQ4MzQ2MzYyNzUwNTUzNjAwNTQ0ODk5NzM0MzUxOTk5OAZDZD","text":"\u00e4\u00f6\u00e5 rocks \ud83e\udd18","attachments":[{"type":"image","payload":{"url":"https:\/\/lookaside.fbsbx.com\/ig_messaging_cdn\/?asset_id=17997515821557846&signature=AbyoRMtw"}}]}}]}]}"#

    /// The secret Meta would have used, and the header it would have sent.
    static let secret = TestSecrets.appSecret

    static func header(for body: [UInt8], secret: String = secret) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    @Test func signProducesTheHMACOfTheRawBytes() {
        let body = Self.capturedBody.bytes
        #expect(MetaSignature.sign(body: body, secret: Self.secret) == Self.header(for: body))
        #expect(MetaSignature.sign(body: body, secret: Self.secret).count == "sha256=".count + 64)
    }

    @Test func capturedBodyVerifiesOverItsRawBytesAndDecodesEscapes() throws {
        let body = Self.capturedBody.bytes
        #expect(body.allSatisfy { $0 < 0x80 })
        let channel = try makeChannel()
        let request = WebhookRequest(method: .post, headers: [MetaSignature.headerName: Self.header(for: body)], body: body)
        guard case .events(let events) = try channel.handle(request, logger: testLogger) else {
            Issue.record("expected events")
            return
        }
        let message = try message(of: try #require(events.first))
        #expect(message.text == "äöå rocks 🤘")
        #expect(message.attachments.first?.url == "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=17997515821557846&signature=AbyoRMtw")
    }

    @Test func reserializedJSONDoesNotVerify() throws {
        let original = Self.capturedBody.bytes
        let header = Self.header(for: original)
        // What a framework that decodes and re-encodes would hand over.
        let object = try JSONSerialization.jsonObject(with: Data(original))
        let reserialized = Array(try JSONSerialization.data(withJSONObject: object))
        let recompacted = try MetaJSON.decode(original).encoded()
        for body in [reserialized, recompacted] {
            #expect(body != original)
            #expect(!MetaSignature.isValid(header, body: body, secret: Self.secret))
        }
        #expect(MetaSignature.isValid(header, body: original, secret: Self.secret))
        // And the channel refuses the re-encoded body.
        let channel = try makeChannel()
        let error = channelError {
            _ = try channel.handle(WebhookRequest(method: .post, headers: [MetaSignature.headerName: header], body: recompacted), logger: testLogger)
        }
        #expect(error?.code == .forbidden)
    }

    @Test(arguments: [
        ("missing", nil),
        ("empty", ""),
        ("no prefix", "3f1c0e1f8ab0a4b9a5c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3"),
        ("sha1 prefix", "sha1=3f1c0e1f8ab0a4b9a5c1d2e3f4a5b6c7d8e9f0a1"),
        ("uppercase prefix", "SHA256=3f1c0e1f8ab0a4b9a5c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3"),
        ("odd length", "sha256=3f1c0e1f8ab0a4b9a5c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a"),
        ("short", "sha256=3f1c0e1f"),
        ("long", "sha256=3f1c0e1f8ab0a4b9a5c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3ff"),
        ("not hex", "sha256=zz1c0e1f8ab0a4b9a5c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3"),
        ("garbage", "sha256=🤘🤘🤘"),
        ("wrong mac", "sha256=3f1c0e1f8ab0a4b9a5c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3"),
    ] as [(String, String?)])
    func badHeadersAreForbidden(_ label: String, _ header: String?) throws {
        let body = Self.capturedBody.bytes
        #expect(!MetaSignature.isValid(header, body: body, secret: Self.secret), "\(label)")
        var headers = HTTPFields()
        if let header { headers[MetaSignature.headerName] = header }
        let channel = try makeChannel()
        let error = channelError { _ = try channel.handle(WebhookRequest(method: .post, headers: headers, body: body), logger: testLogger) }
        #expect(error?.code == .forbidden, "\(label)")
    }

    @Test func uppercaseHexIsAccepted() {
        let body = Self.capturedBody.bytes
        let header = Self.header(for: body)
        let upper = "sha256=" + header.dropFirst("sha256=".count).uppercased()
        #expect(MetaSignature.isValid(upper, body: body, secret: Self.secret))
    }

    @Test func wrongSecretIsForbidden() throws {
        let channel = try makeChannel()
        let error = channelError { _ = try channel.handle(signedDelivery(Self.capturedBody, secret: "another-secret"), logger: testLogger) }
        #expect(error?.code == .forbidden)
    }

    @Test func emptyAppSecretRejectsEveryDelivery() throws {
        // Even a body "signed" with the empty key does not pass.
        let channel = try makeChannel(settings(["app_secret": ""]))
        let error = channelError { _ = try channel.handle(signedDelivery(Self.capturedBody, secret: ""), logger: testLogger) }
        #expect(error?.code == .forbidden)
        #expect(!MetaSignature.isValid(MetaSignature.sign(body: Self.capturedBody.bytes, secret: ""), body: Self.capturedBody.bytes, secret: ""))
    }

    @Test func signatureIsCheckedBeforeParsing() throws {
        // An unsigned body that is not even JSON is refused as forbidden, not as malformed.
        let channel = try makeChannel()
        let error = channelError { _ = try channel.handle(WebhookRequest(method: .post, body: "not json".bytes), logger: testLogger) }
        #expect(error?.code == .forbidden)
    }

    @Test func oneKeyedMACVerifiesDeliveryAfterDelivery() throws {
        // The verifier keys its HMAC once and copies it per delivery: a copy that took one
        // body must leave the keyed original as it was for the next.
        let keyed = try #require(MetaSignature.keyedMAC(secret: Self.secret))
        #expect(MetaSignature.keyedMAC(secret: "") == nil)
        let bodies = [Self.capturedBody.bytes, Array(#"{"object":"instagram","entry":[]}"#.utf8), []]
        for _ in 0..<2 {
            for body in bodies {
                #expect(MetaSignature.isValid(Self.header(for: body), body: body, keyed: keyed))
                #expect(!MetaSignature.isValid(Self.header(for: body, secret: "another-secret"), body: body, keyed: keyed))
                #expect(!MetaSignature.isValid(Self.header(for: body + [0x20]), body: body, keyed: keyed))
            }
        }
        #expect(!MetaSignature.isValid(nil, body: bodies[0], keyed: keyed))
        #expect(!MetaSignature.isValid("sha256=abc", body: bodies[0], keyed: keyed))
    }

    @Test func verifierChecksSignaturesDirectly() throws {
        let verifier = MetaWebhookVerifier(verifyToken: "t", appSecret: Self.secret)
        let body = Self.capturedBody.bytes
        try verifier.verifySignature(headers: [MetaSignature.headerName: Self.header(for: body)], body: body)
        var tampered = body
        tampered[tampered.count - 3] = UInt8(ascii: "0")
        #expect(throws: ChannelError.forbidden("webhook signature: X-Hub-Signature-256 does not verify")) {
            try verifier.verifySignature(headers: [MetaSignature.headerName: Self.header(for: body)], body: tampered)
        }
    }
}
