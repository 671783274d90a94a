import ChannelKit
import Crypto
import Foundation

/// Signs and checks the emulated CDN's expiring URLs (``EmulatedMediaPolicy/Access/graphLookup(lifetime:)``).
struct MediaURLSigner: Sendable {
    private let key = SymmetricKey(size: .bits256)

    /// The hex HMAC of `id:expires`.
    func signature(_ id: String, _ expires: Int64) -> String {
        Self.hex(Array(HMAC<SHA256>.authenticationCode(for: Array("\(id):\(expires)".utf8), using: key)))
    }

    /// Checks a URL's `sig` in constant time.
    func isValid(_ sig: String, _ id: String, _ expires: Int64) -> Bool {
        guard sig.utf8.count == 64 else { return false }
        var bytes: [UInt8] = []
        var index = sig.startIndex
        while index < sig.endIndex {
            let next = sig.index(index, offsetBy: 2)
            guard let byte = UInt8(sig[index..<next], radix: 16) else { return false }
            bytes.append(byte)
            index = next
        }
        return HMAC<SHA256>.isValidAuthenticationCode(bytes, authenticating: Array("\(id):\(expires)".utf8), using: key)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
