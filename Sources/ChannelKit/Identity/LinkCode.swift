/// The secret of a pending link: a 6-digit code, kept only as a salted hash. Making and
/// checking codes is in ChannelIdentity (`LinkCode+Sealing.swift`).
///
/// ```swift
/// let code = LinkCode.generate()                 // "048213", uniformly random
/// let secret = LinkCode.seal(code)               // salt + HMAC-SHA256(salt, code), in hex
/// LinkCode.matches("048213", secret)             // true, compared in constant time
/// ```
public enum LinkCode {
    /// The number of digits of a code.
    public static let digits = 6

    /// A stored code: its salt and its hash, both in hex.
    public struct Sealed: Sendable, Hashable {
        /// 16 random bytes, in hex.
        public var salt: String
        /// HMAC-SHA256 of the code keyed with the salt, in hex.
        public var hash: String

        /// Creates a sealed code from its stored parts.
        public init(salt: String, hash: String) {
            self.salt = salt
            self.hash = hash
        }
    }
}
