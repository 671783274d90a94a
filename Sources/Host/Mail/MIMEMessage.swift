import ChannelIdentity
import ChannelKit
import Foundation

/// A plain-text email as the bytes an SMTP `DATA` carries: RFC 5322 headers (`From`, `To`,
/// `Subject`, `Date`, `Message-ID`) and a MIME UTF-8 body in quoted-printable, lines ending
/// in CRLF and at most 76 characters long.
///
/// Header values never carry a line break from their input: non-ASCII subjects and names are
/// RFC 2047 encoded words, and line breaks in ASCII ones become spaces.
struct MIMEMessage: Sendable {
    /// The sender.
    var from: MailboxAddress
    /// The recipient's address.
    var to: EmailAddress
    /// The subject.
    var subject: String
    /// The body, plain text.
    var text: String
    /// The `Date` header.
    var date: Date
    /// The `Message-ID` header, without angle brackets.
    var messageID: String

    /// Creates a message; the id defaults to a random UUID at the sender's domain.
    init(from: MailboxAddress, to: EmailAddress, subject: String, text: String, date: Date = Date(), messageID: String? = nil) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.date = date
        self.messageID = messageID ?? "\(UUID().uuidString.lowercased())@\(from.domain)"
    }

    /// The message's bytes.
    var bytes: [UInt8] {
        var headers = [
            "From: " + Self.mailbox(from),
            "To: " + to.value,
            "Subject: " + Self.headerText(subject, prefixLength: "Subject: ".count),
            "Date: " + Self.rfc5322Date(date),
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: quoted-printable",
        ]
        headers.append("")
        return Array((headers.joined(separator: "\r\n") + "\r\n" + Self.quotedPrintable(text)).utf8)
    }

    // MARK: - Headers

    /// `Name <address>`, the name quoted or encoded as needed.
    static func mailbox(_ mailbox: MailboxAddress) -> String {
        guard let name = mailbox.displayName, !name.isEmpty else { return mailbox.address.value }
        let shown: String
        if name.allSatisfy({ $0.isASCII && !$0.isNewline }) {
            shown = "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        } else {
            shown = encodedWords(name.replacing(/\R/, with: " ")).joined(separator: "\r\n ")
        }
        return "\(shown) <\(mailbox.address.value)>"
    }

    /// Header text: ASCII stays as it is (line breaks become spaces; folded at spaces when long),
    /// anything else becomes RFC 2047 encoded words, folded between words.
    static func headerText(_ text: String, prefixLength: Int) -> String {
        let flat = text.replacing(/\R/, with: " ")
        guard flat.allSatisfy(\.isASCII) else {
            return encodedWords(flat).joined(separator: "\r\n ")
        }
        // Folded lines start with the space of the fold: 77 characters are left for the text.
        var lines: [String] = []
        var line: String?
        var budget = 78 - prefixLength
        for word in flat.split(separator: " ", omittingEmptySubsequences: false) {
            guard let current = line else {
                line = String(word)
                continue
            }
            if !current.isEmpty, current.count + 1 + word.count > budget {
                lines.append(current)
                line = String(word)
                budget = 77
            } else {
                line = current + " " + word
            }
        }
        lines.append(line ?? "")
        return lines.joined(separator: "\r\n ")
    }

    /// `=?UTF-8?B?…?=` words of at most 68 characters (42 bytes each), split between characters, so
    /// that a header line holding one stays within 78 characters.
    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if !chunk.isEmpty, chunk.count + bytes.count > 42 {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty {
            words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
        }
        return words
    }

    /// `Thu, 09 Oct 2025 08:53:20 +0000`.
    static func rfc5322Date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(days[((parts.weekday ?? 1) - 1) % 7]), \(two(parts.day)) \(months[((parts.month ?? 1) - 1) % 12]) "
            + "\(parts.year ?? 1970) \(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) +0000"
    }

    // MARK: - Body

    /// Quoted-printable (RFC 2045) of the UTF-8 text, with CRLF line ends and soft breaks so no
    /// line exceeds 76 characters. A dot starting a line is encoded, so SMTP never sees a lone
    /// `.` line whatever the transport does.
    static func quotedPrintable(_ text: String) -> String {
        var out = ""
        let lines = text.replacing(/\r\n|\r/, with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            var encoded = ""
            var length = 0
            let bytes = Array(line.utf8)
            for (position, byte) in bytes.enumerated() {
                let isLast = position == bytes.count - 1
                let token: String
                switch byte {
                case UInt8(ascii: "="):
                    token = "=3D"
                case UInt8(ascii: " "), UInt8(ascii: "\t"):
                    token = isLast ? String(format: "=%02X", byte) : String(UnicodeScalar(byte))
                case UInt8(ascii: ".") where position == 0:
                    token = "=2E"
                case 33...126:
                    token = String(UnicodeScalar(byte))
                default:
                    token = String(format: "=%02X", byte)
                }
                // Keep room for the soft break's "=" within 76 characters.
                if length + token.count > 75 {
                    encoded += "=\r\n"
                    length = 0
                }
                encoded += token
                length += token.count
            }
            out += encoded
            if index < lines.count - 1 { out += "\r\n" }
        }
        return out + "\r\n"
    }
}
