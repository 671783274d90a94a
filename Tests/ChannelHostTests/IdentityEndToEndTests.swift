import ChannelIdentity
import ChannelKit
import ChannelKitTesting
import Foundation
import Logging
import SQLiteStorage
import Testing
@testable import ChannelHost

/// Identity linking through the real host: signed Instagram webhooks over HTTP, the real
/// SQLite store, and a real SMTP server (aiosmtpd) that receives the codes.
@Suite("Identity linking end to end", .serialized)
struct IdentityEndToEndTests {
    static let smtpUser = "sandra-smtp"
    static let smtpPassword = "smtp-secret-123"

    /// A host with two Instagram channels (`instagram`, `instagram_eu`) in sandbox mode and the
    /// echo assistant; `identity` is the indented body of the `identity:` section.
    static func yaml(identity: String) -> String {
        """
        server:
          host: 127.0.0.1
          port: {{PORT}}
          shutdown_timeout_seconds: 5
        storage:
          path: {{DATA}}/sandra.sqlite
        assistant:
          type: echo
        identity:
        \(identity.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))
        channels:
          instagram:
            type: instagram
            sandbox: true
            app_secret: \(InstagramFixtures.appSecret)
            verify_token: \(InstagramFixtures.verifyToken)
            access_token: \(InstagramFixtures.accessToken)
          instagram_eu:
            type: instagram
            sandbox: true
            app_secret: \(InstagramFixtures.appSecret)
            verify_token: \(InstagramFixtures.verifyToken)
            access_token: \(InstagramFixtures.accessToken)
        """
    }

    /// The `identity:` body for an SMTP server on `port` (plain text with AUTH).
    static func smtpIdentity(port: Int, extra: String = "") -> String {
        """
        email:
          smtp_url: smtp://127.0.0.1:\(port)
          starttls: "off"
          username: \(smtpUser)
          password: \(smtpPassword)
          from: "Sandra <sandra@example.com>"
          retry_delay_seconds: 1
        \(extra)
        """
    }

    /// A conversation with the host: one person on one channel.
    struct Person {
        let host: TestHost
        let channel: String
        let id: String
        private let counter = Counter()

        init(_ host: TestHost, channel: String = "instagram", id: String) {
            self.host = host
            self.channel = channel
            self.id = id
        }

        /// Sends a signed webhook with `text` and waits until the host has answered it.
        func say(_ text: String) async throws {
            let number = counter.increment()
            let body = InstagramFixtures.body(sender: id, mid: "m.\(channel).\(id).\(number).\(UUID().uuidString)", text: text,
                                              timestamp: Int64(Date().timeIntervalSince1970 * 1000))
            let reply = try await TestHTTP.request("POST", "\(host.baseURL)/api/channels/\(channel)",
                                                   headers: ["Content-Type": "application/json",
                                                             "X-Hub-Signature-256": InstagramFixtures.signature(body)],
                                                   body: body)
            #expect(reply.status == 200)
            await host.waitUntilIdle()
        }

        /// The texts the channel sent this person, in order.
        func replies() async throws -> [String] {
            let reply = try await TestHTTP.get("\(host.baseURL)/sandbox/\(channel)/api/outbox")
            let json = try reply.json()
            let items = (json as? [[String: Any]]) ?? ((json as? [String: Any])?["messages"] as? [[String: Any]]) ?? []
            return items.filter { "\($0["recipient"] ?? "")" == id }.compactMap { $0["text"] as? String }
        }

        /// The last text the channel sent this person.
        func lastReply() async throws -> String {
            try #require(try await replies().last)
        }
    }

    static func store(_ host: TestHost) -> any HostStore { host.runtime.store }

    @Test("the whole flow over signed webhooks: the code arrives by SMTP, the next reply shows the profile; nothing leaks to the logs")
    func linkFlow() async throws {
        let smtp = try await SMTPTestServer.start(credentials: (Self.smtpUser, Self.smtpPassword))
        defer { smtp.stop() }
        let logs = LogCapture()
        let host = try await TestHost.start(yaml: Self.yaml(identity: Self.smtpIdentity(port: smtp.port)),
                                            logger: logs.logger(label: "sandra", level: .debug))
        do {
            let alice = Person(host, id: "17841400000000501")
            try await alice.say("hi there")
            #expect(try await alice.lastReply().contains("linked profile: none"))

            try await alice.say("/link Alice.Liddell@Example.com")
            let asked = try await alice.lastReply()
            #expect(asked.contains("I've sent a 6-digit code to a***@example.com"), "\(asked)")
            let email = try await smtp.nextMessage()
            #expect(email.recipients == ["alice.liddell@example.com"] && email.mailFrom == "sandra@example.com")
            #expect(email.authenticatedUser == Self.smtpUser)
            let headers = email.headers
            #expect(headers["from"] == "\"Sandra\" <sandra@example.com>")
            #expect(headers["to"] == "alice.liddell@example.com")
            #expect(headers["subject"] == "Your Sandra verification code")
            #expect(headers["date"] != nil && headers["message-id"]?.hasSuffix("@example.com>") == true)
            #expect(headers["content-type"] == "text/plain; charset=UTF-8")
            #expect(email.text.contains("the Instagram chat") && email.text.contains("— Sandra"))
            let code = try #require(email.code)

            // Only a salted hash is stored.
            let pending = try #require(try await Self.store(host).pendingCode(for: ChannelIdentity(channel: "instagram", userID: alice.id)))
            #expect(pending.mailState == .sent && !pending.sealed.hash.contains(code) && LinkCode.matches(code, pending.sealed))

            try await alice.say(code)
            let linked = try await alice.lastReply()
            #expect(linked.hasPrefix("Linked!") && linked.contains("Chats linked to it: instagram"), "\(linked)")
            try await alice.say("what do you know about me?")
            let personalized = try await alice.lastReply()
            #expect(personalized.contains("linked profile: alice.liddell@example.com"), "\(personalized)")
            var profile = try #require(try await Self.store(host).profile(for: ChannelIdentity(channel: "instagram", userID: alice.id)))
            profile.displayName = "Alice"
            profile.preferences = ["language": "en-GB"]
            try await Self.store(host).updateProfile(profile, at: Date())
            try await alice.say("and now?")
            let named = try await alice.lastReply()
            #expect(named.contains("display name: Alice") && named.contains("preference language: en-GB"), "\(named)")

            let audit = try await Self.store(host).auditRecords(of: ChannelIdentity(channel: "instagram", userID: alice.id), limit: 10)
            #expect(audit.map(\.action) == [.codeIssued, .linked])
            #expect(audit.last?.profileID == (try await Self.store(host).profile(for: ChannelIdentity(channel: "instagram", userID: alice.id)))?.id)

            // The inbox keeps the command messages' events, not what was typed in them.
            let inbox = try await Self.store(host).items(in: Set(InboxState.allCases), limit: 100)
            let typed = inbox.compactMap { item -> String? in
                if case .message(let message) = item.event.kind { return message.text }
                return nil
            }
            #expect(typed.contains("hi there") && typed.contains("what do you know about me?"))
            #expect(!typed.contains { $0.contains(code) || $0.lowercased().contains("alice.liddell") }, "\(typed)")
            #expect(typed.filter { $0 == InboundEvent.redactedText }.count == 2)

            let text = logs.text
            #expect(text.contains("identity linked") && text.contains("a***@example.com"))
            #expect(!text.contains(code), "no code in the logs")
            #expect(!text.lowercased().contains("alice.liddell"), "no address in clear in the logs")
            #expect(!text.contains(Self.smtpPassword), "no SMTP password in the logs")
            #expect(!text.contains("what do you know"), "no message text in the logs")
        } catch {
            try? await host.stop()
            throw error
        }
        try await host.stop()
    }

    @Test("the same address linked from two channels is one profile; shared history follows the person")
    func twoChannelsOneProfile() async throws {
        let smtp = try await SMTPTestServer.start(credentials: (Self.smtpUser, Self.smtpPassword))
        defer { smtp.stop() }
        let identity = Self.smtpIdentity(port: smtp.port) + "\nshared_history: true"
        try await withHost(yaml: Self.yaml(identity: identity)) { host in
            let onMain = Person(host, channel: "instagram", id: "9001")
            let onEU = Person(host, channel: "instagram_eu", id: "7002")
            try await onMain.say("/link bob@example.org")
            try await onMain.say(try #require(try await smtp.nextMessage().code))
            try await onMain.say("remember: I like tea")

            try await onEU.say("/link BOB@example.org")
            let second = try await smtp.nextMessage()
            #expect(second.recipients == ["bob@example.org"] && second.text.contains("the Instagram chat"))
            try await onEU.say(try #require(second.code))
            #expect(try await onEU.lastReply().contains("Chats linked to it: instagram, instagram_eu"))

            let store = Self.store(host)
            let first = try #require(try await store.profile(for: ChannelIdentity(channel: "instagram", userID: "9001")))
            #expect(try await store.profile(for: ChannelIdentity(channel: "instagram_eu", userID: "7002")) == first)
            #expect(try await store.identities(ofProfile: first.id).map(\.channel) == ["instagram", "instagram_eu"])

            try await onEU.say("what do I like?")
            let reply = try await onEU.lastReply()
            #expect(reply.contains("linked profile: bob@example.org"))
            #expect(reply.contains("earlier turns I can see: 2"), "the turns from the other channel: \(reply)")
        }
    }

    @Test("five wrong codes void the code; the right one then links nothing")
    func lockout() async throws {
        let smtp = try await SMTPTestServer.start(credentials: (Self.smtpUser, Self.smtpPassword))
        defer { smtp.stop() }
        try await withHost(yaml: Self.yaml(identity: Self.smtpIdentity(port: smtp.port))) { host in
            let mallory = Person(host, id: "666")
            try await mallory.say("/link victim@example.com")
            let code = try #require(try await smtp.nextMessage().code)
            let wrong = code == "000000" ? "999999" : "000000"
            for _ in 0..<5 { try await mallory.say(wrong) }
            let replies = try await mallory.replies()
            #expect(replies.suffix(5).first == "That code isn't right. 4 tries left.")
            #expect(replies.last?.contains("too many wrong tries") == true)
            try await mallory.say(code)
            #expect(try await mallory.lastReply().contains("You said: \(code)"), "no code is pending: the assistant answers")
            #expect(try await Self.store(host).profile(for: ChannelIdentity(channel: "instagram", userID: "666")) == nil)
            let actions = try await Self.store(host).auditRecords(of: ChannelIdentity(channel: "instagram", userID: "666"), limit: 10).map(\.action)
            #expect(actions == [.codeIssued, .lockedOut])
        }
    }

    @Test("rate limits per user and per address; the refusal looks the same")
    func rateLimits() async throws {
        let smtp = try await SMTPTestServer.start(credentials: (Self.smtpUser, Self.smtpPassword))
        defer { smtp.stop() }
        let identity = Self.smtpIdentity(port: smtp.port) + "\nmax_codes_per_user_per_hour: 2\nmax_codes_per_email_per_hour: 3"
        try await withHost(yaml: Self.yaml(identity: identity)) { host in
            let eager = Person(host, id: "1001")
            try await eager.say("/link one@example.com")
            try await eager.say("/link two@example.com")
            try await eager.say("/link three@example.com")
            let refusal = try await eager.lastReply()
            #expect(refusal == "Too many codes were requested recently. Please try again later.")
            for index in 0..<3 {
                let bomber = Person(host, channel: index == 2 ? "instagram_eu" : "instagram", id: "20\(index)")
                try await bomber.say("/link victim@example.com")
                #expect(try await bomber.lastReply().contains("I've sent"))
            }
            let fourth = Person(host, channel: "instagram_eu", id: "209")
            try await fourth.say("/link victim@example.com")
            #expect(try await fourth.lastReply() == refusal)
            // Every accepted request was mailed before its reply; nothing else was.
            var recipients: [String] = []
            for _ in 0..<5 { recipients += try await smtp.nextMessage().recipients }
            #expect(recipients.sorted() == ["one@example.com", "two@example.com", "victim@example.com", "victim@example.com", "victim@example.com"])
            #expect(smtp.acceptedCount == 5)
        }
    }

    @Test("a code expires with the clock, and unlink and whoami work")
    func expiryUnlinkWhoami() async throws {
        let smtp = try await SMTPTestServer.start(credentials: (Self.smtpUser, Self.smtpPassword))
        defer { smtp.stop() }
        let clock = TestClock(Date())
        let host = try await TestHost.start(yaml: Self.yaml(identity: Self.smtpIdentity(port: smtp.port)), now: clock.now)
        do {
            let carol = Person(host, id: "3003")
            try await carol.say("/link carol@example.net")
            let stale = try #require(try await smtp.nextMessage().code)
            clock.advance(by: 601)
            try await carol.say(stale)
            #expect(try await carol.lastReply().contains("That code has expired"))
            #expect(try await Self.store(host).profile(for: ChannelIdentity(channel: "instagram", userID: "3003")) == nil)

            try await carol.say("link my account carol@example.net")
            try await carol.say(try #require(try await smtp.nextMessage().code))
            try await carol.say("/whoami")
            let whoami = try await carol.lastReply()
            #expect(whoami.contains("email: c***@example.net") && whoami.contains("linked chats: instagram"), "\(whoami)")
            try await carol.say("/unlink")
            #expect(try await carol.lastReply().contains("no longer linked"))
            try await carol.say("and now?")
            #expect(try await carol.lastReply().contains("linked profile: none"))
            let actions = try await Self.store(host).auditRecords(of: ChannelIdentity(channel: "instagram", userID: "3003"), limit: 10)
                .map(\.action)
            #expect(actions == [.codeIssued, .codeExpired, .codeIssued, .linked, .unlinked])
        } catch {
            try? await host.stop()
            throw error
        }
        try await host.stop()
    }

    @Test("SMTP down: the person is told; the email stays owed across a restart and goes out when the server is up")
    func smtpDownThenUp() async throws {
        let port = try freePort()
        let data = makeTemporaryDirectory()
        let yaml = Self.yaml(identity: Self.smtpIdentity(port: port))
        let first = try await TestHost.start(yaml: yaml, dataDirectory: data)
        let dave = Person(first, id: "4004")
        do {
            try await dave.say("/link dave@example.com")
            #expect(try await dave.lastReply().contains("I couldn't send the email just now"))
            let owed = try #require(try await Self.store(first).pendingCode(for: ChannelIdentity(channel: "instagram", userID: "4004")))
            #expect(owed.mailState == .pending && owed.mailAttempts == 1 && owed.mailLastError?.hasPrefix("unavailable") == true)
        } catch {
            try? await first.stop()
            throw error
        }
        try await first.stop()

        // The server comes up; a new host on the same database sends what is owed.
        let smtp = try await SMTPTestServer.start(port: port, credentials: (Self.smtpUser, Self.smtpPassword))
        defer { smtp.stop() }
        try await withHost(yaml: yaml.replacingOccurrences(of: "{{DATA}}", with: data)) { host in
            let email = try await smtp.nextMessage()
            #expect(email.recipients == ["dave@example.com"])
            let code = try #require(email.code)
            let again = Person(host, id: "4004")
            try await again.say(code)
            #expect(try await again.lastReply().hasPrefix("Linked!"))
            // The first host may have retried once more before it stopped: one or more reissues.
            let actions = try await Self.store(host).auditRecords(of: ChannelIdentity(channel: "instagram", userID: "4004"), limit: 20)
                .map(\.action)
            #expect(actions.first == .codeIssued && actions.last == .linked && actions.count >= 3)
            #expect(actions.dropFirst().dropLast().allSatisfy { $0 == .codeReissued }, "\(actions)")
        }
    }

    @Test("an OpenAI-compatible assistant gets the linked profile with every request")
    func openAIGetsTheProfile() async throws {
        let openAI = try await FakeOpenAIServer.start { _ in .init(content: "hello **Erin**") }
        defer { Task { try? await openAI.stop() } }
        let yaml = Self.yaml(identity: "shared_history: false").replacingOccurrences(
            of: "assistant:\n  type: echo",
            with: "assistant:\n  type: openai\n  base_url: \(openAI.baseURL)\n  model: test-model")
        try await withHost(yaml: yaml) { host in
            let store = Self.store(host)
            var profile = try await store.link(ChannelIdentity(channel: "instagram", userID: "5005"), toVerifiedEmail: "erin@example.com",
                                               at: Date())
            profile.displayName = "Erin"
            profile.preferences = ["language": "German", "units": "metric"]
            try await store.updateProfile(profile, at: Date())
            let erin = Person(host, id: "5005")
            try await erin.say("hi")
            #expect(try await erin.lastReply() == "hello Erin")
            let system = try #require(openAI.requests.last?.messages.first { $0.role == "system" }?.content)
            #expect(system.contains("- profile id: \(profile.id)") && system.contains("- email: erin@example.com"))
            #expect(system.contains("- name: Erin") && system.contains("- preference language: German")
                    && system.contains("- preference units: metric"))

            let stranger = Person(host, id: "5006")
            try await stranger.say("hi")
            let unlinked = try #require(openAI.requests.last?.messages.first { $0.role == "system" }?.content)
            #expect(!unlinked.contains("Sandra profile"), "no profile for an unlinked person")
        }
    }

    @Test("identity.enabled: false leaves the commands to the assistant")
    func disabled() async throws {
        try await withHost(yaml: Self.yaml(identity: "enabled: false")) { host in
            #expect(host.runtime.identityLinking == nil)
            let frank = Person(host, id: "6006")
            try await frank.say("/link frank@example.com")
            #expect(try await frank.lastReply().contains("You said: /link frank@example.com"))
            #expect(try await Self.store(host).pendingCode(for: ChannelIdentity(channel: "instagram", userID: "6006")) == nil)
        }
    }

    @Test("the sandbox with the embedded development mailer: the code is read from the log")
    func sandboxWithDevelopmentMailer() async throws {
        let logs = LogCapture()
        let host = try await TestHost.start(yaml: Self.yaml(identity: "shared_history: false"),
                                            logger: logs.logger(label: "sandra", level: .info))
        do {
            #expect(host.runtime.mailer is DevelopmentLogMailer)
            #expect(logs.text.contains("development mailer"), "labelled at start-up")
            func send(_ text: String, payload: String? = nil) async throws {
                var body: [String: String] = ["user": "sandbox-user-7", "text": text]
                body["quick_reply_payload"] = payload
                let reply = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/instagram/api/send",
                                                       headers: ["Content-Type": "application/json"],
                                                       body: Array(try JSONSerialization.data(withJSONObject: body)))
                #expect(reply.status == 200)
                await host.waitUntilIdle()
            }
            let person = Person(host, id: "sandbox-user-7")
            try await send("Link my account", payload: IdentityCommand.Payload.link)
            #expect(try await person.lastReply().contains("Which email address"))
            try await send("me@example.com")
            let told = try await person.lastReply()
            #expect(told.contains("m***@example.com"))
            #expect(told.contains("no email was sent") && !told.contains("I've sent"), "\(told)")
            let logged = try #require(logs.entries.last { $0.contains("DEVELOPMENT MAILER") })
            #expect(logged.contains("NOT sent") && logged.contains("To: m***@example.com"))
            let code = try #require(logged.firstMatch(of: /verification code is: (\d{6})/)?.output.1)
            try await send(String(code))
            #expect(try await person.lastReply().hasPrefix("Linked!"))
            try await send("hello")
            #expect(try await person.lastReply().contains("linked profile: me@example.com"))
        } catch {
            try? await host.stop()
            throw error
        }
        try await host.stop()
    }
}
