import Crypto
import Foundation
import Testing
import WhatsAppChannel

/// The checksums WhatsApp announces for media.
@Suite("WhatsApp media checksums")
struct MediaChecksumTests {
    static let bytes: [UInt8] = Array("OggS fake opus voice note bytes ".utf8) + (0..<2000).map { UInt8($0 % 251) }

    @Test("sha256 in hex (lookups) and base64 (webhooks) both verify; anything else does not")
    func checksums() {
        let digest = Array(SHA256.hash(data: Self.bytes))
        let hex = digest.map { String(format: "%02x", $0) }.joined()
        #expect(WhatsAppMediaLocation.sha256(of: Self.bytes, matches: hex))
        #expect(WhatsAppMediaLocation.sha256(of: Self.bytes, matches: hex.uppercased()))
        #expect(WhatsAppMediaLocation.sha256(of: Self.bytes, matches: Data(digest).base64EncodedString()))
        #expect(!WhatsAppMediaLocation.sha256(of: Self.bytes + [0], matches: hex))
        #expect(!WhatsAppMediaLocation.sha256(of: Self.bytes, matches: "not a digest"))
        #expect(!WhatsAppMediaLocation.sha256(of: Self.bytes, matches: ""))
    }
}
