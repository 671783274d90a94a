import ChannelKit
import Crypto
import Foundation

/// Making and checking link codes: the cryptography behind ``LinkCode``.
extension LinkCode {
    /// A uniformly random code of ``digits`` digits, leading zeros kept.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let number = UInt32.random(in: 0..<1_000_000, using: &generator)
        let text = String(number)
        return String(repeating: "0", count: digits - text.count) + text
    }

    /// A fresh salt and the code's hash under it.
    public static func seal(_ code: String) -> Sealed {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Sealed(salt: Hex.encode(salt), hash: Hex.encode(mac(code, salt: salt)))
    }

    /// Whether `candidate` is the sealed code. The hashes are compared in constant time, and a
    /// candidate of any length is hashed first, so the time taken says nothing about the code.
    public static func matches(_ candidate: String, _ sealed: Sealed) -> Bool {
        guard let salt = Hex.decode(sealed.salt.utf8), let expected = Hex.decode(sealed.hash.utf8) else { return false }
        return constantTimeEqual(mac(candidate, salt: salt), expected)
    }

    /// Compares two byte strings in time that depends only on their lengths.
    public static func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices {
            difference |= left[index] ^ right[index]
        }
        return difference == 0
    }

    /// A random id for a pending code (not secret): 16 bytes in hex.
    public static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    private static func mac(_ code: String, salt: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data(code.utf8), using: SymmetricKey(data: salt)))
    }
}
