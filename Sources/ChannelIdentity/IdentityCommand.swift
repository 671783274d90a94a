import ChannelKit
import Foundation

/// What a message asks of identity linking, if anything.
///
/// Recognized forms (case-insensitive, surrounding punctuation ignored):
///
/// | Form | Command |
/// |---|---|
/// | `/link name@example.com`, `link name@example.com`, `link my account name@example.com`, `please connect my account to name@example.com` | ``link(_:)`` |
/// | `/link`, `link my account`, payload `SANDRA_LINK` | ``startLink`` |
/// | `/link not-an-address`, `link my account to bob@localhost` | ``invalidEmail`` |
/// | `/unlink`, `unlink`, `unlink my account`, `disconnect my account`, payload `SANDRA_UNLINK` | ``unlink`` |
/// | `/whoami`, `whoami`, `who am I?`, payload `SANDRA_WHOAMI` | ``whoami`` |
/// | `/cancel`, payload `SANDRA_LINK_CANCEL` | ``cancel`` |
/// | `/resend`, payload `SANDRA_LINK_RESEND` | ``resend`` |
/// | 5 to 7 digits, spaces and dashes allowed, optionally after `code` | ``code(_:)`` (only meaningful while a code is pending) |
///
/// Anything else is ``notACommand`` and goes to the assistant. Free text is matched only when it
/// starts with the command word, so "can you link me to a@b.co's page" is not a command.
public enum IdentityCommand: Sendable, Hashable {
    /// Link this identity to the profile of this address.
    case link(EmailAddress)
    /// Start linking: ask for the address.
    case startLink
    /// A link request whose address is not valid.
    case invalidEmail
    /// Remove the link.
    case unlink
    /// Say which profile this identity is linked to.
    case whoami
    /// Void the pending code.
    case cancel
    /// Send a fresh code to the pending address.
    case resend
    /// Something that looks like a code.
    case code(String)
    /// Not an identity command.
    case notACommand

    /// Payloads of the buttons the flow offers (quick replies) and that channels may send as postbacks.
    public enum Payload {
        /// Start linking.
        public static let link = "SANDRA_LINK"
        /// Remove the link.
        public static let unlink = "SANDRA_UNLINK"
        /// Show the linked profile.
        public static let whoami = "SANDRA_WHOAMI"
        /// Send a fresh code.
        public static let resend = "SANDRA_LINK_RESEND"
        /// Void the pending code.
        public static let cancel = "SANDRA_LINK_CANCEL"
    }

    /// Reads a message.
    /// - Parameters:
    ///   - text: what was typed (or a button's title).
    ///   - payload: a quick reply's or postback's payload; it wins over the text.
    public static func parse(text: String, payload: String? = nil) -> IdentityCommand {
        switch payload {
        case Payload.link?: return .startLink
        case Payload.unlink?: return .unlink
        case Payload.whoami?: return .whoami
        case Payload.resend?: return .resend
        case Payload.cancel?: return .cancel
        default: break
        }
        guard mayBeCommand(text) else { return .notACommand }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 400 else { return .notACommand }
        if let code = code(in: trimmed) { return .code(code) }
        let words = trimmed.split(whereSeparator: \.isWhitespace).map { String($0) }
        guard let first = words.first?.lowercased() else { return .notACommand }

        if first.hasPrefix("/") {
            let rest = Array(words.dropFirst())
            switch first {
            case "/link": return rest.isEmpty ? .startLink : linkRequest(rest)
            case "/unlink": return .unlink
            case "/whoami": return .whoami
            case "/cancel": return .cancel
            case "/resend": return .resend
            default: return .notACommand
            }
        }

        let phrase = words.map { $0.lowercased().trimmingCharacters(in: trailingPunctuation) }
        let body = phrase.first == "please" ? Array(phrase.dropFirst()) : phrase
        let originals = phrase.first == "please" ? Array(words.dropFirst()) : words
        guard let verb = body.first else { return .notACommand }
        switch verb {
        case "link", "connect":
            if originals.contains(where: { $0.contains("@") }) {
                return linkRequest(Array(originals.dropFirst()))
            }
            let rest = Array(body.dropFirst()).filter { !$0.isEmpty }
            return accountWords.contains(rest) ? .startLink : .notACommand
        case "unlink", "disconnect":
            let rest = Array(body.dropFirst()).filter { !$0.isEmpty }
            return rest.isEmpty || accountWords.contains(rest) ? .unlink : .notACommand
        case "whoami":
            return body.count == 1 ? .whoami : .notACommand
        case "who":
            return body == ["who", "am", "i"] ? .whoami : .notACommand
        default:
            return .notACommand
        }
    }

    /// First words a command can start with, lowercased (see ``mayBeCommand(_:)``).
    private static let commandStarts: Set<Substring> = ["link", "connect", "unlink", "disconnect", "whoami", "who", "please", "my", "the"]

    /// Whether `text` can be a command at all, judged by its first word only: every message
    /// passes through ``parse(text:payload:)``, and almost none is a command. A text whose
    /// first character is not a letter (a `/command`, a code, punctuation) always gets the full
    /// parse; one starting with a letter only when its first word can start a command.
    private static func mayBeCommand(_ text: String) -> Bool {
        guard let start = text.unicodeScalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return false }
        guard text.unicodeScalars[start].properties.isAlphabetic else { return true }
        let word = text.unicodeScalars[start...].prefix { $0.properties.isAlphabetic }
        guard word.count <= 12 else { return false }
        let lowered = Substring(String(word).lowercased())
        return lowered.hasPrefix("code") || commandStarts.contains(lowered)
    }

    /// "my account", "this account", "my email", … after `link`/`unlink`.
    private static let accountWords: Set<[String]> = [
        ["my", "account"], ["this", "account"], ["account"], ["my", "accounts"], ["my", "email"], ["me"],
    ]

    /// Punctuation around a word that is not part of it.
    private static let trailingPunctuation = CharacterSet(charactersIn: ".,;:!?\"'()<>[]")

    /// The one address among the words of a link request, or ``invalidEmail``.
    private static func linkRequest(_ words: [String]) -> IdentityCommand {
        let candidates = words.filter { $0.contains("@") }
        guard candidates.count == 1, let candidate = candidates.first else { return .invalidEmail }
        let stripped = candidate.trimmingCharacters(in: trailingPunctuation)
        return EmailAddress(stripped).map(IdentityCommand.link) ?? .invalidEmail
    }

    /// The digits of a code-shaped message: 5 to 7 ASCII digits (a code typed with a digit
    /// too many or too few counts as a wrong code) with optional spaces and
    /// dashes, optionally after `code`, `code:` or `my code is`.
    private static func code(in text: String) -> String? {
        var rest = Substring(text.lowercased())
        for prefix in ["my code is", "the code is", "code is", "code:", "code"] where rest.hasPrefix(prefix) {
            rest = rest.dropFirst(prefix.count)
            break
        }
        var digits = ""
        for character in rest.trimmingCharacters(in: trailingPunctuation) {
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else if character == " " || character == "-" {
                continue
            } else {
                return nil
            }
        }
        return (5...7).contains(digits.count) ? digits : nil
    }
}
