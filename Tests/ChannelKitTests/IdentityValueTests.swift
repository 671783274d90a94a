import ChannelIdentity
import ChannelKit
import Foundation
import Testing

@Suite("Email addresses")
struct EmailAddressTests {
    @Test("everyday addresses are accepted and normalized")
    func valid() {
        #expect(EmailAddress("  Name@Example.COM \n")?.value == "name@example.com")
        for text in ["a@b.co", "first.last+tag@mail.example.org", "o'brien@example.ie", "x_y-z@sub-domain.example.travel",
                     "1234@123.example.com", "{weird}!#$%&*=?^`|~@example.com"] {
            #expect(EmailAddress(text) != nil, "\(text)")
        }
    }

    @Test("everything else is refused")
    func invalid() {
        let local64 = String(repeating: "a", count: 64), local65 = String(repeating: "a", count: 65)
        #expect(EmailAddress("\(local64)@example.com") != nil)
        for text in ["", "plain", "@example.com", "name@", "name@localhost", "name@example", "name@example.c",
                     "name@example.123", "two@@example.com", "a@b@example.com", ".name@example.com", "name.@example.com",
                     "na..me@example.com", "name@-example.com", "name@example-.com", "name@exa_mple.com", "name@example..com",
                     "na me@example.com", "\"quoted\"@example.com", "name@[127.0.0.1]", "jöhn@example.com", "name@exämple.com",
                     "\(local65)@example.com", "a@" + String(repeating: "b", count: 250) + ".com", "name@example.com\r\nBcc: x@y.z"] {
            #expect(EmailAddress(text) == nil, "\(text)")
        }
    }

    @Test("masked form and digest")
    func maskedAndDigest() throws {
        let address = try #require(EmailAddress("Name@Example.com"))
        #expect(address.masked == "n***@example.com")
        #expect("\(address)" == "n***@example.com", "interpolation never shows the address")
        #expect(address.digest == EmailAddress("name@example.com")?.digest)
        #expect(address.digest.count == 64 && address.digest != EmailAddress("other@example.com")?.digest)
        // SHA-256("name@example.com")
        #expect(address.digest == "7b17fb0bd173f625b58636fb796407c22b3d16fc78302d79f0fd30c2fc2fc068")
    }
}

@Suite("Link codes")
struct LinkCodeTests {
    @Test("codes are six digits, zero-padded, and vary")
    func generate() {
        let codes = (0..<2000).map { _ in LinkCode.generate() }
        #expect(codes.allSatisfy { $0.count == 6 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        #expect(Set(codes).count > 1900, "2000 draws from a million are nearly all distinct")
        #expect(codes.contains { $0.hasPrefix("0") }, "leading zeros are kept (about 10% of codes)")
    }

    @Test("a sealed code matches only itself, with a fresh salt each time")
    func sealAndMatch() {
        let sealed = LinkCode.seal("048213")
        #expect(LinkCode.matches("048213", sealed))
        for wrong in ["048214", "48213", "0482130", "", "048213 ", "abcdef"] {
            #expect(!LinkCode.matches(wrong, sealed), "\(wrong)")
        }
        let again = LinkCode.seal("048213")
        #expect(again.salt != sealed.salt && again.hash != sealed.hash, "salted: the same code hashes differently")
        #expect(sealed.hash.count == 64 && !sealed.hash.contains("048213"))
        #expect(!LinkCode.matches("048213", LinkCode.Sealed(salt: "not hex", hash: sealed.hash)))
    }

    @Test("constant-time comparison")
    func constantTime() {
        #expect(LinkCode.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!LinkCode.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!LinkCode.constantTimeEqual([0, 2, 3], [1, 2, 3]))
        #expect(!LinkCode.constantTimeEqual([1, 2], [1, 2, 3]))
        #expect(LinkCode.constantTimeEqual([], []))
    }
}

@Suite("Identity commands")
struct IdentityCommandTests {
    static let alice = EmailAddress("alice@example.com")!

    @Test("link requests", arguments: [
        "/link alice@example.com", "/LINK Alice@Example.com", "link alice@example.com", "link my account alice@example.com",
        "Link my account: alice@example.com.", "please link my email <alice@example.com>", "connect my account to alice@example.com!",
        "  /link   alice@example.com  ",
    ])
    func link(_ text: String) {
        #expect(IdentityCommand.parse(text: text) == .link(Self.alice))
    }

    @Test("other commands")
    func others() {
        #expect(IdentityCommand.parse(text: "/link") == .startLink)
        #expect(IdentityCommand.parse(text: "link my account") == .startLink)
        #expect(IdentityCommand.parse(text: "Please link my account.") == .startLink)
        #expect(IdentityCommand.parse(text: "/link nope") == .invalidEmail)
        #expect(IdentityCommand.parse(text: "link a@b.com and c@d.com") == .invalidEmail)
        #expect(IdentityCommand.parse(text: "/unlink") == .unlink)
        #expect(IdentityCommand.parse(text: "Unlink my account") == .unlink)
        #expect(IdentityCommand.parse(text: "disconnect") == .unlink)
        #expect(IdentityCommand.parse(text: "/whoami") == .whoami)
        #expect(IdentityCommand.parse(text: "Who am I?") == .whoami)
        #expect(IdentityCommand.parse(text: "whoami") == .whoami)
        #expect(IdentityCommand.parse(text: "/cancel") == .cancel)
        #expect(IdentityCommand.parse(text: "/resend") == .resend)
        #expect(IdentityCommand.parse(text: "048213") == .code("048213"))
        #expect(IdentityCommand.parse(text: "048 213") == .code("048213"))
        #expect(IdentityCommand.parse(text: "048-213.") == .code("048213"))
        #expect(IdentityCommand.parse(text: "My code is 048213") == .code("048213"))
        #expect(IdentityCommand.parse(text: "code: 048213") == .code("048213"))
    }

    @Test("buttons: the payload wins over the title")
    func payloads() {
        #expect(IdentityCommand.parse(text: "Link my account", payload: IdentityCommand.Payload.link) == .startLink)
        #expect(IdentityCommand.parse(text: "whatever", payload: IdentityCommand.Payload.unlink) == .unlink)
        #expect(IdentityCommand.parse(text: "whatever", payload: IdentityCommand.Payload.whoami) == .whoami)
        #expect(IdentityCommand.parse(text: "whatever", payload: IdentityCommand.Payload.resend) == .resend)
        #expect(IdentityCommand.parse(text: "whatever", payload: IdentityCommand.Payload.cancel) == .cancel)
        #expect(IdentityCommand.parse(text: "/whoami", payload: "SOMETHING_ELSE") == .whoami, "other payloads: the text decides")
    }

    @Test("ordinary messages are not commands", arguments: [
        "hello", "can you link me to alice@example.com's page?", "link me the docs", "/help", "2024", "12345678",
        "call me at 555 1234 please", "who am I talking to?", "unlink the two ideas", "", "   ",
    ])
    func notCommands(_ text: String) {
        #expect(IdentityCommand.parse(text: text) == .notACommand)
    }
}
