import ChannelKit
import Crypto
import Foundation

/// A syntactically valid email address, normalized: trimmed and lowercased.
///
/// The accepted form is the everyday one: `local@domain`, where the local part is made of
/// letters, digits and ``allowedLocalCharacters`` without a leading, trailing or doubled dot,
/// and the domain has at least two labels of letters, digits and inner hyphens, ending in a
/// top-level domain of at least two letters. Quoted local parts, IP-literal domains and
/// non-ASCII addresses are refused. At most 254 characters, the local part at most 64.
///
/// ```swift
/// EmailAddress("  Name@Example.com ")?.value    // "name@example.com"
/// EmailAddress("Name@Example.com")?.masked      // "n***@example.com"
/// EmailAddress("not an address")                // nil
/// ```
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    /// Characters besides ASCII letters and digits that a local part may hold.
    public static let allowedLocalCharacters = Set("!#$%&'*+/=?^_`{|}~.-")

    /// The normalized address.
    public let value: String

    /// Validates and normalizes `text`; `nil` when it is not an address.
    public init?(_ text: String) {
        let candidate = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard candidate.utf8.count <= 254, Self.isValid(candidate) else { return nil }
        value = candidate
    }

    /// The address with its local part hidden but for its first character, for logs and replies:
    /// `n***@example.com`.
    public var masked: String {
        guard let at = value.firstIndex(of: "@") else { return "***" }
        return "\(value[value.startIndex])***\(value[at...])"
    }

    /// A SHA-256 digest of the address, in hex: the key of per-address rate limits and audit
    /// records, so that they need not hold the address itself. (Pseudonymous, not secret:
    /// anyone who guesses an address can compute its digest.)
    public var digest: String {
        Hex.encode(Array(SHA256.hash(data: Data(value.utf8))))
    }

    /// The masked form: an address never appears in clear through string interpolation.
    public var description: String { masked }

    private static func isValid(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        return isValidLocalPart(parts[0]) && isValidDomain(parts[1])
    }

    private static func isValidLocalPart(_ local: Substring) -> Bool {
        guard !local.isEmpty, local.utf8.count <= 64, local.first != ".", local.last != ".", !local.contains("..") else {
            return false
        }
        return local.allSatisfy { character in
            guard character.isASCII else { return false }
            return character.isLetter || character.isNumber || allowedLocalCharacters.contains(character)
        }
    }

    private static func isValidDomain(_ domain: Substring) -> Bool {
        guard domain.utf8.count <= 253 else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63, label.first != "-", label.last != "-",
                  label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                return false
            }
        }
        guard let topLevel = labels.last else { return false }
        return topLevel.count >= 2 && topLevel.allSatisfy { $0.isASCII && $0.isLetter }
    }
}
