import ChannelIdentity
import ChannelKit
import Foundation
import Testing
@testable import ChannelHost

@Suite("MIME message")
struct MIMEMessageTests {
    static let from = MailboxAddress("Sandra <sandra@example.com>")!
    static let to = EmailAddress("alice@example.com")!

    static func message(subject: String = "Hello", text: String = "Hi") -> MIMEMessage {
        MIMEMessage(from: from, to: to, subject: subject, text: text, date: Date(timeIntervalSince1970: 1_760_000_000),
                    messageID: "fixed@example.com")
    }

    static func lines(_ message: MIMEMessage) -> [String] {
        String(decoding: message.bytes, as: UTF8.self).components(separatedBy: "\r\n")
    }

    @Test("headers of a simple message")
    func simple() {
        let text = String(decoding: Self.message().bytes, as: UTF8.self)
        #expect(text == """
            From: "Sandra" <sandra@example.com>\r
            To: alice@example.com\r
            Subject: Hello\r
            Date: Thu, 09 Oct 2025 08:53:20 +0000\r
            Message-ID: <fixed@example.com>\r
            MIME-Version: 1.0\r
            Content-Type: text/plain; charset=UTF-8\r
            Content-Transfer-Encoding: quoted-printable\r
            \r
            Hi\r

            """)
    }

    @Test("no header injection through the subject or the sender's name")
    func noInjection() {
        let lines = Self.lines(Self.message(subject: "Hi\r\nBcc: victim@example.com"))
        #expect(!lines.contains { $0.hasPrefix("Bcc:") })
        #expect(lines.contains("Subject: Hi Bcc: victim@example.com"))
        #expect(MailboxAddress("Evil\r\nBcc: x@example.com <sandra@example.com>") == nil)
        let unicode = Self.lines(Self.message(subject: "Ünïcode\nBcc: victim@example.com"))
        #expect(!unicode.contains { $0.hasPrefix("Bcc:") })
    }

    @Test("long and non-ASCII subjects are folded into lines of at most 78 characters")
    func folding() {
        let long = String(repeating: "verification ", count: 12) + "code"
        let ascii = Self.lines(Self.message(subject: long))
        #expect(ascii.allSatisfy { $0.utf8.count <= 78 })
        let subjectLines = ascii.drop { !$0.hasPrefix("Subject:") }.prefix { $0.hasPrefix("Subject:") || $0.hasPrefix(" ") }
        #expect(subjectLines.count > 1)
        #expect(subjectLines.joined().dropFirst("Subject: ".count) == long[...])

        let unicode = String(repeating: "Vérification 👋🏽 ", count: 8)
        let words = MIMEMessage.encodedWords(unicode)
        #expect(words.count > 1 && words.allSatisfy { $0.count <= 68 && $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") })
        let decoded = words.map { word in
            String(decoding: Data(base64Encoded: String(word.dropFirst(10).dropLast(2))) ?? Data(), as: UTF8.self)
        }.joined()
        #expect(decoded == unicode, "split between characters, never inside one")
        #expect(Self.lines(Self.message(subject: unicode)).allSatisfy { $0.utf8.count <= 78 })
    }

    @Test("quoted-printable body: 7-bit, short lines, exact round trip")
    func quotedPrintable() {
        let text = "Code: 048213 = yours\n\n. dot\nTrailing space \nTab\tinside\n" + String(repeating: "é", count: 100) + "\n🙂"
        let encoded = MIMEMessage.quotedPrintable(text)
        let lines = encoded.components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 76 && $0.utf8.allSatisfy { $0 >= 32 && $0 < 127 || $0 == 9 } })
        #expect(encoded.contains("=3D yours") && encoded.contains("\r\n=2E dot") && encoded.contains("Trailing space=20\r\n"))
        #expect(Self.decode(encoded) == text + "\n")
    }

    @Test("sender forms")
    func mailbox() {
        #expect(MailboxAddress("sandra@example.com")?.displayName == nil)
        #expect(MailboxAddress("\"Sandra, the assistant\" <Sandra@Example.com>")?.displayName == "Sandra, the assistant")
        #expect(MailboxAddress("Sandra <sandra@example.com>")?.address.value == "sandra@example.com")
        #expect(MailboxAddress("Sandra <sandra@example.com>")?.domain == "example.com")
        #expect(MailboxAddress("Sandra <not an address>") == nil)
        #expect(MailboxAddress("") == nil)
        #expect(MIMEMessage.mailbox(MailboxAddress("Zoë \"Z\" <z@example.com>")!).hasPrefix("=?UTF-8?B?"))
        #expect(MIMEMessage.mailbox(MailboxAddress("Back\\slash \"q\" <z@example.com>")!) == #""Back\\slash \"q\"" <z@example.com>"#)
    }

    /// Quoted-printable back to text.
    static func decode(_ encoded: String) -> String {
        var bytes: [UInt8] = []
        let raw = Array(encoded.utf8)
        var index = 0
        while index < raw.count {
            if raw[index] == UInt8(ascii: "="), index + 2 < raw.count, raw[index + 1] == 13, raw[index + 2] == 10 {
                index += 3
            } else if raw[index] == UInt8(ascii: "="), index + 2 < raw.count,
                      let value = UInt8(String(decoding: raw[(index + 1)...(index + 2)], as: UTF8.self), radix: 16) {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(raw[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
    }
}
