import ChannelKit
import Foundation
import MetaPlatform
import SQLiteStorage
import Testing
@testable import ChannelHost

/// Meta's data deletion and deauthorize callbacks against the real host: signed requests as
/// Meta sends them (a form field `signed_request`), checked in the SQLite store.
@Suite("Meta data deletion callbacks", .serialized)
struct DataDeletionEndToEndTests {
    static let person = "15550001111"

    static func yaml() -> String {
        let channels = """
          instagram:
            type: instagram
            sandbox: true
            app_secret: \(InstagramFixtures.appSecret)
            verify_token: \(InstagramFixtures.verifyToken)
            access_token: \(InstagramFixtures.accessToken)
        \(WhatsAppEndToEndTests.whatsappChannel())
        """
        return WhatsAppEndToEndTests.yaml(channels: channels) + "\nadmin:\n  public_base_url: https://sandra.example.com/\n"
    }

    static func callback(_ host: TestHost, _ path: String, signedRequest: String?) async throws -> TestHTTP.Reply {
        let form = signedRequest.map { "signed_request=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) } ?? "other=1"
        return try await TestHTTP.request("POST", host.baseURL + path,
                                          headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Array(form.utf8))
    }

    /// The person's messages on a channel (by the platform ids they were delivered with; the
    /// sandboxes' receipts and echoes are left out).
    static func items(_ host: TestHost, channel: String) async throws -> [InboxItem] {
        try await host.runtime.store.items(in: Set(InboxState.allCases), limit: 100).filter {
            guard case .message = $0.event.kind else { return false }
            return $0.event.channel == channel && $0.event.platformMessageID.contains(person)
        }
    }

    static func text(of item: InboxItem) -> String? {
        if case .message(let message) = item.event.kind { return message.text }
        return nil
    }

    @Test("a wrongly signed request answers 400 and erases nothing; a correctly signed one erases the person on that app's channels")
    func deletion() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let store = host.runtime.store
            let onInstagram = IdentityEndToEndTests.Person(host, channel: "instagram", id: Self.person)
            try await onInstagram.say("my private question")
            let whatsapp = WhatsAppFixtures.body([.init(sender: Self.person, id: "wamid.\(Self.person).1", text: "private on whatsapp",
                                                        timestamp: Int64(Date().timeIntervalSince1970))])
            #expect(try await WhatsAppEndToEndTests.post(host, body: whatsapp).status == 200)
            await host.waitUntilIdle()
            let instagramConversation = try #require(try await Self.items(host, channel: "instagram").first).event.conversation
            #expect(try await store.history(of: instagramConversation, limit: 10).count == 2)

            // Signed with a secret no channel has: 400, nothing erased.
            let forged = MetaSignedRequest.sign(userID: Self.person, issuedAt: 1_765_000_000, secret: "not-the-app-secret")
            let refused = try await Self.callback(host, DataDeletionRoutes.deletionPath, signedRequest: forged)
            #expect(refused.status == 400)
            #expect(try await Self.items(host, channel: "instagram").map(Self.text(of:)) == ["my private question"])
            #expect(try await store.history(of: instagramConversation, limit: 10).count == 2)
            // A tampered payload under a real signature, and no signed_request at all: 400 too.
            let real = MetaSignedRequest.sign(userID: Self.person, issuedAt: 1_765_000_000, secret: InstagramFixtures.appSecret)
            let otherPayload = MetaSignedRequest.sign(userID: "1", issuedAt: 1_765_000_000, secret: "x").split(separator: ".")[1]
            let tampered = "\(real.split(separator: ".")[0]).\(otherPayload)"
            #expect(try await Self.callback(host, DataDeletionRoutes.deletionPath, signedRequest: tampered).status == 400)
            #expect(try await Self.callback(host, DataDeletionRoutes.deletionPath, signedRequest: nil).status == 400)
            #expect(try await store.history(of: instagramConversation, limit: 10).count == 2)

            // Signed with the Instagram channel's app secret: erased on Instagram only.
            let accepted = try await Self.callback(host, DataDeletionRoutes.deletionPath, signedRequest: real)
            #expect(accepted.status == 200, "\(accepted.text)")
            let answer = try #require(try accepted.json() as? [String: String])
            let code = try #require(answer["confirmation_code"])
            #expect(code.count == 40)
            #expect(answer["url"] == "https://sandra.example.com/api/meta/data-deletion/status?code=\(code)")
            let erased = try await Self.items(host, channel: "instagram")
            #expect(erased.count == 1 && Self.text(of: erased[0]) == InboundEvent.redactedText)
            #expect(erased[0].event.senderID == InboundEvent.erasedSenderID)
            #expect(try await store.parts(for: erased[0].id).allSatisfy { $0.message.text == InboundEvent.redactedText })
            #expect(try await store.history(of: instagramConversation, limit: 10).isEmpty)
            #expect(try await Self.items(host, channel: "whatsapp").map(Self.text(of:)) == ["private on whatsapp"],
                    "another app's channel keeps its data")
            let record = try #require(try await store.erasure(confirmationCode: code))
            #expect(record.channels == ["instagram"] && record.source == "data_deletion" && record.turns == 2 && record.inboxItems >= 1)

            // The status page the person is sent to.
            let page = try await TestHTTP.get("\(host.baseURL)\(DataDeletionRoutes.statusPath)?code=\(code)")
            #expect(page.status == 200)
            #expect(page.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(page.text.contains("Your data has been deleted") && page.text.contains(code))
            // A page for browsers: not framed, not sniffed, its URL (the code) not handed on, nothing loaded but its style.
            #expect(page.header("X-Frame-Options") == "DENY")
            #expect(page.header("X-Content-Type-Options") == "nosniff")
            #expect(page.header("Referrer-Policy") == "same-origin")
            #expect(page.header("Content-Security-Policy")?.hasPrefix("default-src 'none'; style-src 'unsafe-inline'") == true)
            let unknown = try await TestHTTP.get("\(host.baseURL)\(DataDeletionRoutes.statusPath)?code=\(String(repeating: "0", count: 40))")
            #expect(unknown.status == 404 && unknown.text.contains("No deletion request"))
            #expect(unknown.header("X-Frame-Options") == "DENY")

            // The deauthorize callback, signed with the WhatsApp channel's app secret.
            let deauthorize = MetaSignedRequest.sign(userID: Self.person, issuedAt: 1_765_000_001, secret: WhatsAppFixtures.appSecret)
            let deauthorized = try await Self.callback(host, DataDeletionRoutes.deauthorizePath, signedRequest: deauthorize)
            #expect(deauthorized.status == 200)
            #expect(try await Self.items(host, channel: "whatsapp").map(Self.text(of:)) == [InboundEvent.redactedText])
        }
    }
}
