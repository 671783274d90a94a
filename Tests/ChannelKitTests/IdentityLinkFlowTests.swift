import ChannelIdentity
import ChannelKit
import ChannelKitTesting
import Foundation
import Logging
import Synchronization
import Testing

/// The email-verification flow with the in-memory store, a recording mailer and a clock the
/// tests move.
@Suite("Identity linking flow")
struct IdentityLinkFlowTests {
    /// One flow and everything around it.
    struct Harness {
        let store: any IdentityStore & SharedStateStore = InMemoryStore()
        let mailer = RecordingMailer()
        let clock = TestClock()
        let logs = LogCapture()
        let flow: IdentityLinkFlow

        init(options: IdentityLinkFlow.Options = .init()) {
            flow = IdentityLinkFlow(store: store, mailer: mailer, options: options, now: clock.now)
        }

        var logger: Logger { logs.logger(label: "identity-test") }

        /// What the flow answers to `text` from `identity`; `nil` when it lets the message pass.
        func say(_ text: String, from identity: ChannelIdentity = alice, payload: String? = nil) async throws -> AssistantReply? {
            let event = InboundEvent(channel: identity.channel, accountID: "acct", senderID: identity.userID,
                                     platformMessageID: UUID().uuidString, timestamp: clock.time,
                                     kind: .message(InboundMessage(text: text, quickReplyPayload: payload)))
            let request = CommandRequest(event: event, message: UserMessage(text: text, payload: payload),
                                         channelProfile: RecordingChannel().profile)
            switch try await flow.handle(request, logger: logger) {
            case .pass: return nil
            case .reply(let reply): return reply
            }
        }

        /// The code of the last email sent.
        func lastCode() throws -> String {
            try #require(RecordingMailer.code(in: mailer.sent.last), "an email with a code was sent")
        }
    }

    static let alice = ChannelIdentity(channel: "instagram", userID: "ig-alice")
    static let aliceOnWhatsApp = ChannelIdentity(channel: "whatsapp", userID: "wa-alice")
    static let mallory = ChannelIdentity(channel: "instagram", userID: "ig-mallory")

    @Test("the email names the platform as people know it, and a one-minute code says \"1 minute\"")
    func wording() async throws {
        let h = Harness(options: .init(codeLifetime: .seconds(60), channelDisplayNames: ["instagram": "Instagram"]))
        let asked = try #require(try await h.say("/link alice@example.com"))
        #expect(asked.markdown.contains("within 1 minute to link"))
        let email = try #require(h.mailer.sent.first)
        #expect(email.text.contains("in the Instagram chat"))
        #expect(email.text.contains("valid for 1 minute and"))
    }

    @Test("link: the code goes by email, the right code links, and works once")
    func linkFlow() async throws {
        let h = Harness()
        let asked = try #require(try await h.say("/link Alice@Example.com"))
        #expect(asked.markdown.contains("a***@example.com") && asked.markdown.contains("10 minutes"))
        #expect(!asked.markdown.contains("alice@example.com"), "the reply shows the address masked")
        #expect(asked.quickReplies.map(\.payload) == [IdentityCommand.Payload.resend, IdentityCommand.Payload.cancel])
        #expect(h.mailer.sent.count == 1)
        let email = try #require(h.mailer.sent.first)
        #expect(email.to == "alice@example.com")
        #expect(email.subject == "Your Sandra verification code")
        #expect(email.text.contains("instagram chat") && email.text.contains("valid for 10 minutes"))
        let code = try h.lastCode()
        let pending = try #require(try await h.store.pendingCode(for: Self.alice))
        #expect(pending.mailState == .sent)
        #expect(pending.sealed.hash != code && !pending.sealed.hash.contains(code) && pending.sealed.salt.count == 32,
                "the store holds a salted hash, not the code")
        #expect(pending.expiresAt == h.clock.time.addingTimeInterval(600))

        h.clock.advance(by: 60)
        let linked = try #require(try await h.say(code))
        #expect(linked.markdown.hasPrefix("Linked!") && linked.markdown.contains("Chats linked to it: instagram"))
        let profile = try #require(try await h.store.profile(for: Self.alice))
        #expect(profile.email == "alice@example.com")
        #expect(try await h.store.pendingCode(for: Self.alice) == nil)
        #expect(try await h.say(code) == nil, "single use: afterwards the number is an ordinary message")
        let audit = try await h.store.auditRecords(of: Self.alice, limit: 10)
        #expect(audit.map(\.action) == [.codeIssued, .linked])
        #expect(audit.last?.profileID == profile.id && audit.last?.at == h.clock.time)
    }

    @Test("natural phrasings, buttons and the address prompt")
    func naturalForms() async throws {
        let h = Harness()
        #expect(try await h.say("link my account alice@example.com")?.markdown.contains("6-digit code to a***@example.com") == true)
        #expect(try await h.say("Please connect my account to bob@example.org.", from: Self.mallory)?.markdown
            .contains("b***@example.org") == true)
        #expect(h.mailer.sent.map(\.to) == ["alice@example.com", "bob@example.org"])

        // The button (quick reply or postback) asks for the address; the next message gives it.
        let carol = ChannelIdentity(channel: "instagram", userID: "ig-carol")
        let prompt = try #require(try await h.say("Link my account", from: carol, payload: IdentityCommand.Payload.link))
        #expect(prompt.markdown.contains("Which email address"))
        #expect(try await h.say("carol@example", from: carol)?.markdown.contains("doesn't look like an email") == true)
        #expect(try await h.say("carol@example.net", from: carol)?.markdown.contains("c***@example.net") == true)
        #expect(h.mailer.sent.last?.to == "carol@example.net")

        // The prompt is used up by an unrelated message, and expires.
        let dave = ChannelIdentity(channel: "instagram", userID: "ig-dave")
        _ = try await h.say("/link", from: dave)
        #expect(try await h.say("what's the weather?", from: dave) == nil)
        #expect(try await h.say("dave@example.com", from: dave) == nil, "the question was used up")
        _ = try await h.say("link my account", from: dave)
        h.clock.advance(by: 601)
        #expect(try await h.say("dave@example.com", from: dave) == nil, "the question expired")
        #expect(h.mailer.sent.count == 3)
    }

    @Test("the address prompt is kept in the store: asked through one host, answered through another")
    func addressPromptAcrossHosts() async throws {
        let h = Harness()
        let otherHost = IdentityLinkFlow(store: h.store, mailer: h.mailer, now: h.clock.now)
        let carol = ChannelIdentity(channel: "instagram", userID: "ig-carol")
        #expect(try await h.say("/link", from: carol)?.markdown.contains("Which email address") == true)
        let event = InboundEvent(channel: carol.channel, accountID: "acct", senderID: carol.userID, platformMessageID: "m2",
                                 timestamp: h.clock.time, kind: .message(InboundMessage(text: "carol@example.net")))
        let request = CommandRequest(event: event, message: UserMessage(text: "carol@example.net"),
                                     channelProfile: RecordingChannel().profile)
        guard case .reply(let reply) = try await otherHost.handle(request, logger: h.logger) else {
            Issue.record("the other host did not see the question")
            return
        }
        #expect(reply.markdown.contains("c***@example.net"))
        #expect(h.mailer.sent.last?.to == "carol@example.net")
        #expect(try await h.say("carol@example.net", from: carol) == nil, "the question was used up on the other host")
    }

    @Test("the same address from two channels is one profile")
    func twoChannelsOneProfile() async throws {
        let h = Harness()
        _ = try await h.say("/link alice@example.com", from: Self.alice)
        _ = try await h.say(try h.lastCode(), from: Self.alice)
        _ = try await h.say("/link ALICE@example.com", from: Self.aliceOnWhatsApp)
        let reply = try #require(try await h.say(try h.lastCode(), from: Self.aliceOnWhatsApp))
        #expect(reply.markdown.contains("Chats linked to it: instagram, whatsapp"))
        let first = try #require(try await h.store.profile(for: Self.alice))
        #expect(try await h.store.profile(for: Self.aliceOnWhatsApp) == first)
        #expect(try await h.store.identities(ofProfile: first.id) == [Self.alice, Self.aliceOnWhatsApp])
    }

    @Test("five wrong codes void the code; the right one no longer links")
    func lockout() async throws {
        let h = Harness()
        _ = try await h.say("/link alice@example.com")
        let code = try h.lastCode()
        let wrong = code == "000000" ? "111111" : "000000"
        var replies: [String] = []
        for _ in 0..<5 { replies.append(try await h.say(wrong)?.markdown ?? "(passed)") }
        #expect(replies[0] == "That code isn't right. 4 tries left.")
        #expect(replies[3] == "That code isn't right. 1 try left.")
        #expect(replies[4].contains("too many wrong tries"))
        #expect(try await h.say(code) == nil, "after the lockout the right code is an ordinary number")
        #expect(try await h.store.profile(for: Self.alice) == nil)
        #expect(try await h.store.auditRecords(of: Self.alice, limit: 10).map(\.action) == [.codeIssued, .lockedOut])
        // A code typed with a digit too many counts as a wrong code too.
        _ = try await h.say("/link alice@example.com")
        #expect(try await h.say("1234567")?.markdown == "That code isn't right. 4 tries left.")
        #expect(try await h.say("code: \(try h.lastCode())")?.markdown.hasPrefix("Linked!") == true, "\"code: 123456\" works")
    }

    @Test("a code expires after its lifetime")
    func expiry() async throws {
        let h = Harness(options: .init(codeLifetime: .seconds(300)))
        _ = try await h.say("/link alice@example.com")
        let code = try h.lastCode()
        #expect(h.mailer.sent.last?.text.contains("valid for 5 minutes") == true)
        h.clock.advance(by: 299)
        #expect(try await h.say("/whoami")?.markdown.contains("Not linked yet") == true)
        h.clock.advance(by: 1)
        let reply = try #require(try await h.say(code))
        #expect(reply.markdown.contains("expired"))
        #expect(try await h.store.profile(for: Self.alice) == nil)
        #expect(try await h.store.pendingCode(for: Self.alice) == nil)
        #expect(try await h.store.auditRecords(of: Self.alice, limit: 10).map(\.action) == [.codeIssued, .codeExpired])
    }

    @Test("expired codes are deleted one code lifetime after they expire, with an audit record")
    func purge() async throws {
        let h = Harness()
        _ = try await h.say("/link alice@example.com")
        h.clock.advance(by: 601)
        await h.flow.deliverOwedEmails(logger: h.logger)
        #expect(try await h.store.pendingCode(for: Self.alice) != nil, "kept a while, so a late code is told it expired")
        h.clock.advance(by: 600)
        await h.flow.deliverOwedEmails(logger: h.logger)
        #expect(try await h.store.pendingCode(for: Self.alice) == nil)
        #expect(try await h.store.auditRecords(of: Self.alice, limit: 10).map(\.action) == [.codeIssued, .codeExpired])
        #expect(try await h.say(try h.lastCode()) == nil, "after the purge a late code is an ordinary number")
    }

    @Test("rate limits per identity and per address, with one reply that reveals nothing")
    func rateLimits() async throws {
        let h = Harness(options: .init(limits: CodeLimits(perIdentity: 3, perEmail: 4, window: 3600)))
        for i in 0..<3 { _ = try await h.say("/link me\(i)@example.com") }
        let limited = try #require(try await h.say("/link me3@example.com"))
        #expect(limited.markdown == "Too many codes were requested recently. Please try again later.")
        #expect(h.mailer.sent.count == 3, "no email for a refused request")

        // Mail bombing through Sandra: many identities, one victim.
        for i in 0..<4 {
            let someone = ChannelIdentity(channel: "instagram", userID: "bomber-\(i)")
            #expect(try await h.say("/link victim@example.com", from: someone)?.markdown.contains("I've sent") == true)
        }
        let refused = try #require(try await h.say("/link victim@example.com", from: ChannelIdentity(channel: "whatsapp", userID: "bomber-9")))
        #expect(refused == limited, "the same reply whichever limit was hit")
        #expect(h.mailer.sent.filter { $0.to == "victim@example.com" }.count == 4)

        h.clock.advance(by: 3600)
        #expect(try await h.say("/link me3@example.com")?.markdown.contains("I've sent") == true, "the window slides")
    }

    @Test("replies do not reveal whether an address already has a profile")
    func noProfileOracle() async throws {
        let h = Harness()
        let fresh = try #require(try await h.say("/link alice@example.com", from: Self.mallory))
        _ = try await h.say("/cancel", from: Self.mallory)
        _ = try await h.say("/link alice@example.com", from: Self.alice)
        _ = try await h.say(try h.lastCode(), from: Self.alice)     // now the address has a profile
        let known = try #require(try await h.say("/link alice@example.com", from: Self.mallory))
        #expect(known == fresh)
        #expect(try await h.say("/whoami", from: Self.mallory)?.markdown.contains("Not linked yet") == true)
    }

    @Test("whoami, unlink, cancel and resend")
    func otherCommands() async throws {
        let h = Harness()
        #expect(try await h.say("/whoami")?.markdown.contains("isn't linked") == true)
        #expect(try await h.say("/unlink")?.markdown.contains("isn't linked") == true)
        #expect(try await h.say("/cancel")?.markdown.contains("no code waiting") == true)
        #expect(try await h.say("/resend")?.markdown.contains("no code waiting") == true)

        _ = try await h.say("/link alice@example.com")
        let first = try h.lastCode()
        let resent = try #require(try await h.say("x", payload: IdentityCommand.Payload.resend))
        #expect(resent.markdown.contains("I've sent") && h.mailer.sent.count == 2)
        let second = try h.lastCode()
        if first != second {
            #expect(try await h.say(first)?.markdown.contains("isn't right") == true, "a resend replaces the code")
        }
        #expect(try await h.say(second)?.markdown.hasPrefix("Linked!") == true)

        var profile = try #require(try await h.store.profile(for: Self.alice))
        profile.displayName = "Alice"
        try await h.store.updateProfile(profile, at: h.clock.time)
        let whoami = try #require(try await h.say("who am I?"))
        #expect(whoami.markdown.contains("- email: a***@example.com") && whoami.markdown.contains("- name: Alice"))
        #expect(whoami.markdown.contains("- linked chats: instagram"))
        #expect(try await h.say("/link alice@example.com")?.markdown.contains("already linked") == true)
        #expect(h.mailer.sent.count == 2, "no code for the address already linked")

        #expect(try await h.say("unlink my account")?.markdown.contains("no longer linked") == true)
        #expect(try await h.store.profile(for: Self.alice) == nil)
        #expect(try await h.store.profile(id: profile.id) != nil, "the profile stays")
        #expect(try await h.say("/whoami")?.markdown.contains("isn't linked") == true)

        _ = try await h.say("/link alice@example.com")
        #expect(try await h.say("x", payload: IdentityCommand.Payload.cancel)?.markdown.contains("Cancelled") == true)
        #expect(try await h.say(try h.lastCode()) == nil, "a cancelled code is gone")
        let actions = try await h.store.auditRecords(of: Self.alice, limit: 20).map(\.action)
        #expect(actions == [.codeIssued, .codeIssued, .linked, .unlinked, .codeIssued, .codeCancelled])
    }

    @Test("messages that are not commands pass to the assistant")
    func passThrough() async throws {
        let h = Harness()
        for text in ["hello", "123456", "can you link me to a@b.co's page?", "link me the docs", "/help", "", "who am I talking to?"] {
            #expect(try await h.say(text) == nil, "\(text)")
        }
        #expect(try await h.say("/link not-an-address")?.markdown.contains("doesn't look like an email") == true)
        #expect(try await h.say("/link bob@localhost")?.markdown.contains("doesn't look like an email") == true)
        #expect(h.mailer.attempts == 0)
    }

    /// A mailer whose first send waits until released, announcing it as it starts; later sends go straight through.
    final class HeldMailer: Mailer, Sendable {
        let started: AsyncStream<Void>
        private let startedContinuation: AsyncStream<Void>.Continuation
        private let release = Mutex<[CheckedContinuation<Void, Never>]>([])
        let recorded = RecordingMailer()

        init() {
            (started, startedContinuation) = AsyncStream.makeStream()
        }

        func send(_ email: EmailMessage, logger: Logger) async throws {
            let first = holding.withLock { held in
                defer { held = true }
                return !held
            }
            if first {
                await withCheckedContinuation { continuation in
                    release.withLock { $0.append(continuation) }
                    startedContinuation.yield()
                }
            }
            try await recorded.send(email, logger: logger)
        }

        private let holding = Mutex(false)

        func releaseAll() {
            for waiter in release.withLock({ held in defer { held = [] }; return held }) { waiter.resume() }
        }

        var summary: String { "held mailer (tests)" }
    }

    @Test("while a code's first email is being sent the owed-mail worker leaves it alone; only a send that never ends is replaced, after a minute")
    func firstSendNotDoubled() async throws {
        let store: any IdentityStore & SharedStateStore = InMemoryStore()
        let mailer = HeldMailer()
        let clock = TestClock()
        let logger = LogCapture().logger(label: "identity-test")
        let flow = IdentityLinkFlow(store: store, mailer: mailer, options: .init(mailRetryDelay: .seconds(1)), now: clock.now)
        let event = InboundEvent(channel: Self.alice.channel, accountID: "acct", senderID: Self.alice.userID, platformMessageID: "m1",
                                 timestamp: clock.time, kind: .message(InboundMessage(text: "/link alice@example.com")))
        let request = CommandRequest(event: event, message: UserMessage(text: "/link alice@example.com"), channelProfile: RecordingChannel().profile)
        let asking = Task { try await flow.handle(request, logger: logger) }
        var starts = mailer.started.makeAsyncIterator()
        _ = await starts.next()
        clock.advance(by: 5)
        #expect(await flow.deliverOwedEmails(logger: logger) == 0, "the first send is still going: no second code")
        mailer.releaseAll()
        _ = try await asking.value
        #expect(mailer.recorded.sent.count == 1)
        #expect(try await store.pendingCode(for: Self.alice)?.mailState == .sent)

        // A send that never finishes (the process died in it) is owed once the grace has passed.
        let stuck = PendingCode(id: "stuck", identity: Self.alice, email: "alice@example.com", emailDigest: "d",
                                sealed: LinkCode.seal("123456"), createdAt: clock.time, expiresAt: clock.time.addingTimeInterval(600),
                                mailNextAttemptAt: clock.time.addingTimeInterval(60))
        #expect(try await store.issueCode(stuck, limits: CodeLimits(perIdentity: 100, perEmail: 100, window: 3600), at: clock.time) == .issued)
        #expect(await flow.deliverOwedEmails(logger: logger) == 0)
        clock.advance(by: 61)
        #expect(await flow.deliverOwedEmails(logger: logger) == 1)
        #expect(mailer.recorded.sent.count == 2)
    }

    @Test("a failed send is told, owed in the store, and sent later with a fresh code")
    func mailRetry() async throws {
        let h = Harness(options: .init(mailRetryDelay: .seconds(30)))
        h.mailer.failNextSends([MailerError(.unavailable, "connection refused")])
        let reply = try #require(try await h.say("/link alice@example.com"))
        #expect(reply.markdown.contains("couldn't send the email just now"))
        let owed = try #require(try await h.store.pendingCode(for: Self.alice))
        #expect(owed.mailState == .pending && owed.mailAttempts == 1 && owed.mailLastError == "unavailable: connection refused")
        #expect(owed.mailNextAttemptAt == h.clock.time.addingTimeInterval(30))

        #expect(await h.flow.deliverOwedEmails(logger: h.logger) == 0, "not due yet")
        h.clock.advance(by: 30)
        h.mailer.failNextSends([MailerError(.authentication, "535 login denied")])
        #expect(await h.flow.deliverOwedEmails(logger: h.logger) == 0)
        let again = try #require(try await h.store.pendingCode(for: Self.alice))
        #expect(again.mailAttempts == 2 && again.mailNextAttemptAt == h.clock.time.addingTimeInterval(60), "the pause doubles")
        #expect(again.id != owed.id, "each try sends a fresh code")

        h.clock.advance(by: 60)
        #expect(await h.flow.deliverOwedEmails(logger: h.logger) == 1)
        #expect(h.mailer.sent.count == 1 && h.mailer.attempts == 3)
        #expect(try await h.store.pendingCode(for: Self.alice)?.mailState == .sent)
        #expect(try await h.say(try h.lastCode())?.markdown.hasPrefix("Linked!") == true)
        let actions = try await h.store.auditRecords(of: Self.alice, limit: 10).map(\.action)
        #expect(actions == [.codeIssued, .codeReissued, .codeReissued, .linked])
    }

    @Test("a refused address voids the code; retries give up after the last attempt")
    func mailRefusedAndGivenUp() async throws {
        let h = Harness(options: .init(mailRetryDelay: .seconds(1), maxMailAttempts: 3))
        h.mailer.failNextSends([MailerError(.rejected, "RCPT failed: 550")])
        #expect(try await h.say("/link nobody@example.com")?.markdown.contains("couldn't deliver an email to that address") == true)
        #expect(try await h.store.pendingCode(for: Self.alice) == nil)

        h.mailer.failNextSends(Array(repeating: MailerError(.unavailable, "timeout"), count: 3))
        _ = try await h.say("/link alice@example.com")
        h.clock.advance(by: 1)
        await h.flow.deliverOwedEmails(logger: h.logger)
        h.clock.advance(by: 2)
        await h.flow.deliverOwedEmails(logger: h.logger)
        #expect(try await h.store.pendingCode(for: Self.alice) == nil, "given up after 3 sends")
        #expect(h.mailer.attempts == 4 && h.mailer.sent.isEmpty)
        let actions = try await h.store.auditRecords(of: Self.alice, limit: 10).map(\.action)
        #expect(actions == [.codeIssued, .mailFailed, .codeIssued, .codeReissued, .codeReissued, .mailFailed])
    }

    @Test("logs never hold a code or an address in clear")
    func logsAreClean() async throws {
        let h = Harness()
        var codes: [String] = []
        _ = try await h.say("/link alice.secret@example.com")
        codes.append(try h.lastCode())
        _ = try await h.say("999999" == codes[0] ? "888888" : "999999")
        _ = try await h.say(codes[0])
        h.mailer.failNextSends([MailerError(.unavailable, "down")])
        _ = try await h.say("/link alice.secret@example.com", from: Self.aliceOnWhatsApp)
        h.clock.advance(by: 3600)
        await h.flow.deliverOwedEmails(logger: h.logger)
        codes.append(try h.lastCode())
        _ = try await h.say(codes[1], from: Self.aliceOnWhatsApp)
        _ = try await h.say("/unlink")

        let text = h.logs.text
        #expect(h.logs.entries.count >= 6, "the flow logs what it does")
        #expect(text.contains("a***@example.com"), "addresses appear masked")
        #expect(!text.lowercased().contains("alice.secret"), "no address in clear")
        for code in codes { #expect(!text.contains(code), "no code in the logs") }
    }
}
