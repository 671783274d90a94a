import ChannelKit
import Foundation
import SQLiteStorage
import Testing
@testable import ChannelHost

/// Instagram and WhatsApp side by side in one host: a person who links the same address from
/// both is one Sandra profile, proven by emails a real SMTP server received.
@Suite("Identity across Instagram and WhatsApp", .serialized)
struct CrossChannelIdentityTests {
    @Test("an address linked on Instagram and on WhatsApp is one profile, seen by the assistant on both")
    func instagramAndWhatsAppJoin() async throws {
        let smtp = try await SMTPTestServer.start(credentials: (IdentityEndToEndTests.smtpUser, IdentityEndToEndTests.smtpPassword))
        defer { smtp.stop() }
        let channels = """
          instagram:
            type: instagram
            sandbox: true
            app_secret: \(InstagramFixtures.appSecret)
            verify_token: \(InstagramFixtures.verifyToken)
            access_token: \(InstagramFixtures.accessToken)
        \(WhatsAppEndToEndTests.whatsappChannel())
        """
        let identity = IdentityEndToEndTests.smtpIdentity(port: smtp.port)
            .split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
        let yaml = WhatsAppEndToEndTests.yaml(channels: channels) + "\nidentity:\n" + identity + "\n"
        try await withHost(yaml: yaml) { host in
            let onInstagram = IdentityEndToEndTests.Person(host, channel: "instagram", id: "9101")
            try await onInstagram.say("/link carol@example.org")
            try await onInstagram.say(try #require(try await smtp.nextMessage().code))
            #expect(try await onInstagram.lastReply().contains("@example.org"))

            let sequence = Counter()
            func sayOnWhatsApp(_ text: String) async throws {
                let body = WhatsAppFixtures.body([.init(sender: "15550009999", id: "wamid.cross.\(sequence.increment())", text: text,
                                                        timestamp: Int64(Date().timeIntervalSince1970))])
                #expect(try await WhatsAppEndToEndTests.post(host, body: body).status == 200)
                await host.waitUntilIdle()
            }
            try await sayOnWhatsApp("link my account carol@example.org")
            let second = try await smtp.nextMessage()
            #expect(second.recipients == ["carol@example.org"])
            try await sayOnWhatsApp(try #require(second.code))

            let store = host.runtime.store
            let profile = try #require(try await store.profile(for: ChannelIdentity(channel: "instagram", userID: "9101")))
            #expect(try await store.profile(for: ChannelIdentity(channel: "whatsapp", userID: "15550009999")) == profile)
            #expect(try await store.identities(ofProfile: profile.id).map(\.channel).sorted() == ["instagram", "whatsapp"])

            try await sayOnWhatsApp("hello from WhatsApp")
            let texts = try await WhatsAppEndToEndTests.outbox(host).filter { $0.recipient == "15550009999" }.compactMap(\.text)
            let last = try #require(texts.last)
            #expect(last.contains("linked profile: carol@example.org"), "\(last)")
        }
    }
}
