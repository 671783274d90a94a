import ChannelIdentity
import ChannelKit
import ChannelPipeline
import Foundation
import Synchronization
import Testing

/// The conformance suite every channel runs: the promises a channel makes to the pipeline and
/// to the people writing to it, checked with the real ``Pipeline``, an ``InMemoryStore``, a
/// ``ScriptedAssistant``, the real media step and an in-memory fake of the platform's API.
///
/// A channel runs it with a few lines, by supplying a ``ChannelConformanceSubject``:
///
/// ```swift
/// @Test func conformance() async {
///     await ChannelConformance.run(WhatsAppSubject())
/// }
/// ```
///
/// The checks, each with a world of its own (see ``ConformanceHarness``):
/// - ``badSignatureRejected(_:)`` — a wrongly signed, tampered or unsigned delivery is
///   refused (`.forbidden`) and nothing is stored or sent;
/// - ``handshake(_:)`` — the subscription handshake echoes the challenge for the right token
///   only (or, without one, a `GET` never verifies);
/// - ``redeliveryAnsweredOnce(_:)`` — a delivery repeated, also concurrently, is answered once;
/// - ``echoesAndStatusesNeverAnswered(_:)`` — the platform's echoes of our replies and their
///   statuses are recorded and never answered;
/// - ``burstAnsweredInOrder(_:)`` — a burst from one sender is answered in timestamp order
///   while another sender is not held up behind it;
/// - ``longReplySplitWithinProfile(_:)`` — a long Markdown reply is split into parts within
///   the profile's limit, written in the profile's formatting dialect;
/// - ``transientFailureRetried(_:)`` and ``permanentFailureNotRetried(_:)`` — a send that
///   fails transiently is retried and arrives once; one that fails permanently is not retried;
/// - ``identityFlow(_:)`` — `/link`, the emailed code, `/whoami` and `/unlink`, typed in the
///   channel's own payloads, are answered by the shared identity flow, never the assistant,
///   and link the channel's user id to one profile;
/// - ``mediaFetchedWithinLimits(_:)`` — a photo is fetched through the channel's media path
///   and reaches the assistant as an image; one over the size cap, or outside the channel's
///   allowed media hosts, gets a friendly answer and never reaches the assistant;
/// - ``voiceNoteTranscribed(_:)`` — a voice note reaches the assistant as its transcript; a
///   failed transcription gets the friendly answer, once.
/// - ``humanReplyPauses(_:)`` — a reply a person of the business sent from outside this host
///   (the platform's echo of it) is recorded in the conversation and pauses Sandra there: the
///   person's next message is kept in the history, not answered.
///
/// Failures are recorded as test issues naming the check; a check that throws is recorded too.
///
/// Each check is a public function taking the subject, so new checks are added as further
/// functions and listed in ``checks``; what they need from a subject comes as requirements
/// with default implementations, so existing subjects keep compiling.
public enum ChannelConformance {
    /// A named check.
    public typealias Check = @Sendable (any ChannelConformanceSubject) async throws -> Void

    /// Every check, by name, in the order ``run(_:)`` runs them.
    public static let checks: [(name: String, check: Check)] = [
        ("bad signature rejected and nothing stored", badSignatureRejected),
        ("handshake", handshake),
        ("redelivery answered once", redeliveryAnsweredOnce),
        ("echoes and statuses never answered", echoesAndStatusesNeverAnswered),
        ("burst answered in order, others not held up", burstAnsweredInOrder),
        ("long Markdown reply split within the profile", longReplySplitWithinProfile),
        ("transient send failure retried", transientFailureRetried),
        ("permanent send failure not retried", permanentFailureNotRetried),
        ("identity flow", identityFlow),
        ("media fetched within its limits", mediaFetchedWithinLimits),
        ("voice note transcribed", voiceNoteTranscribed),
        ("a person of the business's reply pauses Sandra", humanReplyPauses),
    ]

    /// Runs every check against a subject.
    /// - Parameter subject: the channel's subject.
    public static func run(_ subject: some ChannelConformanceSubject) async {
        for (name, check) in checks {
            do {
                try await check(subject)
            } catch {
                Issue.record("channel conformance, \(name): unexpected error \(error)")
            }
        }
    }

    // MARK: - Checks

    /// A delivery signed with the wrong secret, one whose body was changed after signing, and
    /// one with no signature headers are all refused with `.forbidden`; nothing is stored or
    /// sent. The same message correctly signed is then new, and answered once.
    public static func badSignatureRejected(_ subject: any ChannelConformanceSubject) async throws {
        let harness = try await ConformanceHarness(subject: subject)
        let message = ConformanceMessage(sender: "conf-sig-user", id: "conf.sig.1", text: "signed or not", timestamp: time(0))

        let forged = subject.delivery(of: [message], signature: .wrongSecret)
        await expectForbidden(try await harness.deliver(forged), "a delivery signed with the wrong secret")

        var tampered = subject.delivery(of: [message], signature: .valid)
        tampered.body = tamper(tampered.body, text: message.text)
        await expectForbidden(try await harness.deliver(tampered), "a delivery changed after it was signed")

        var unsigned = subject.delivery(of: [message], signature: .valid)
        var kept = HTTPFields()
        if let contentType = unsigned.headers[.contentType] { kept[.contentType] = contentType }
        unsigned.headers = kept
        await expectForbidden(try await harness.deliver(unsigned), "a delivery without its signature headers")

        await harness.idle()
        let stored = try await harness.items()
        expect(stored.isEmpty, "refused deliveries stored \(stored.count) item(s)")
        expect(harness.api.attempts.isEmpty, "refused deliveries caused \(harness.api.attempts.count) send(s)")

        try await harness.deliver(subject.delivery(of: [message], signature: .valid))
        await harness.idle()
        expect(harness.api.texts(to: message.sender) == ["re: \(message.text)"],
               "the same message correctly signed was not answered once: \(harness.api.texts(to: message.sender))")
    }

    /// The handshake echoes the challenge byte for byte for the right token and is refused
    /// with `.forbidden` for a wrong one. A channel whose platform has no handshake never
    /// answers a `GET` with a verification.
    public static func handshake(_ subject: any ChannelConformanceSubject) async throws {
        let harness = try await ConformanceHarness(subject: subject)
        let challenge = "conf-challenge-1158201444"
        guard let good = subject.handshake(challenge: challenge, tokenIsValid: true) else {
            let outcome = try? await harness.deliver(WebhookRequest(method: .get, query: ["hub.challenge": challenge]))
            if case .verified = outcome?.outcome {
                Issue.record("channel conformance, handshake: a channel without a handshake verified a GET")
            }
            return
        }
        let outcome = try await harness.deliver(good).outcome
        expect(outcome == .verified(challenge: challenge), "the handshake with the right token answered \(outcome)")
        if let bad = subject.handshake(challenge: challenge, tokenIsValid: false) {
            await expectForbidden(try await harness.deliver(bad), "a handshake with a wrong token")
        }
        let stored = try await harness.items()
        expect(stored.isEmpty, "handshakes stored \(stored.count) item(s)")
    }

    /// `/link`, the emailed code, `/whoami` and `/unlink`, each delivered in the channel's own
    /// signed payload, are answered by the identity flow (never the assistant), one reply each;
    /// the code links the channel's user id to the address's profile and `/unlink` removes it.
    public static func identityFlow(_ subject: any ChannelConformanceSubject) async throws {
        let harness = try await ConformanceHarness(subject: subject, identityLinking: true)
        let sender = "conf-identity-user"
        var sequence: Int64 = 0
        func say(_ text: String) async throws {
            sequence += 1
            let message = ConformanceMessage(sender: sender, id: "conf.identity.\(sequence)", text: text, timestamp: time(sequence))
            try await harness.deliver(subject.delivery(of: [message], signature: .valid))
            await harness.idle()
        }
        let identity = ChannelIdentity(channel: harness.channel.name, userID: sender)
        try await say("/link ana@example.com")
        let code = RecordingMailer.code(in: harness.mailer?.sent.last)
        expect(code != nil, "/link sent no email with a code")
        expect(harness.mailer?.sent.last?.to == "ana@example.com", "the code went to \(harness.mailer?.sent.last?.to ?? "nobody")")
        try await say(code ?? "000000")
        let linked = await harness.store.profile(for: identity)
        expect(linked?.email == "ana@example.com", "the code did not link the user id to the address's profile")
        try await say("/whoami")
        try await say("/unlink")
        let unlinked = await harness.store.profile(for: identity)
        expect(unlinked == nil, "/unlink left the link in place")
        expect(harness.assistant.turns.isEmpty, "the assistant was asked \(harness.assistant.turns.count) identity commands")
        expect(harness.api.texts(to: sender).count == 4, "4 commands got \(harness.api.texts(to: sender).count) replies")
    }

    /// One delivery handled five times at once and once more after it was answered: one
    /// event recorded, one reply sent.
    public static func redeliveryAnsweredOnce(_ subject: any ChannelConformanceSubject) async throws {
        let harness = try await ConformanceHarness(subject: subject)
        let message = ConformanceMessage(sender: "conf-dup-user", id: "conf.dup.1", text: "only once please", timestamp: time(0))
        let request = subject.delivery(of: [message], signature: .valid)
        let accepted = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<5 {
                group.addTask { try await harness.deliver(request).acceptance?.accepted ?? 0 }
            }
            return try await group.reduce(0, +)
        }
        await harness.idle()
        let again = try await harness.deliver(request).acceptance?.accepted ?? 0
        await harness.idle()
        expect(accepted + again == 1, "a repeated delivery created \(accepted + again) events")
        expect(harness.api.texts(to: message.sender) == ["re: \(message.text)"],
               "a repeated delivery was answered \(harness.api.texts(to: message.sender).count) times")
    }

    /// After a reply was sent, the platform's echo of it and its status are accepted, recorded,
    /// and never answered. Subjects whose platform has neither skip the check.
    public static func echoesAndStatusesNeverAnswered(_ subject: any ChannelConformanceSubject) async throws {
        let harness = try await ConformanceHarness(subject: subject)
        let message = ConformanceMessage(sender: "conf-echo-user", id: "conf.echo.1", text: "hello", timestamp: time(0))
        try await harness.deliver(subject.delivery(of: [message], signature: .valid))
        await harness.idle()
        guard let reply = harness.api.delivered.first(where: { $0.message.recipient == message.sender }) else {
            Issue.record("channel conformance, echoes and statuses: the message was not answered")
            return
        }
        let deliveries = [subject.echoDelivery(of: reply), subject.statusDelivery(of: reply)].compactMap { $0 }
        for request in deliveries {
            let (outcome, acceptance) = try await harness.deliver(request)
            guard case .events(let events) = outcome else {
                Issue.record("channel conformance, echoes and statuses: a delivery gave \(outcome), not events")
                continue
            }
            expect(!events.isEmpty, "an echo or status delivery gave no event to record")
            expect(events.allSatisfy { !$0.isAnswerable }, "an echo or status was made answerable: \(events.map(\.kind))")
            expect(acceptance?.queued == 0, "an echo or status was queued for an answer")
        }
        await harness.idle()
        expect(harness.api.delivered.count == 1, "echoes or statuses were answered: \(harness.api.delivered.count - 1) extra send(s)")
        expect(harness.assistant.turns.count == 1, "the assistant saw \(harness.assistant.turns.count) turns, not 1")
        // The echo of this host's own reply is no person's: the next message is answered.
        let next = ConformanceMessage(sender: message.sender, id: "conf.echo.2", text: "and again", timestamp: time(1))
        try await harness.deliver(subject.delivery(of: [next], signature: .valid))
        await harness.idle()
        expect(harness.api.texts(to: message.sender) == ["re: hello", "re: and again"],
               "after the echo of its own reply the channel's next message got \(harness.api.texts(to: message.sender))")
    }

    /// Twelve messages from one sender arrive in one delivery, in scrambled order; another
    /// sender writes meanwhile. The busy sender's first turn does not finish until the other
    /// sender has been answered (so a pipeline that held the other sender up fails); the busy
    /// sender's replies arrive in timestamp order.
    public static func burstAnsweredInOrder(_ subject: any ChannelConformanceSubject) async throws {
        let busy = "conf-busy-user", quick = "conf-quick-user"
        let held = HeldFlag()
        let box = APIBox()
        let harness = try await ConformanceHarness(subject: subject) { turn in
            if turn.conversation.userID == busy, turn.message.text == "busy 0", let api = box.api {
                if !(await api.waitForDelivery(to: quick, timeout: .seconds(20))) { held.set() }
            }
            return AssistantReply(markdown: "re: \(turn.message.text)")
        }
        box.api = harness.api
        let order = [3, 0, 7, 1, 2, 5, 11, 4, 6, 9, 8, 10]
        let burst = order.map { ConformanceMessage(sender: busy, id: "conf.busy.\($0)", text: "busy \($0)", timestamp: time(Int64($0))) }
        try await harness.deliver(subject.delivery(of: burst, signature: .valid))
        let other = ConformanceMessage(sender: quick, id: "conf.quick.1", text: "quick", timestamp: time(5))
        try await harness.deliver(subject.delivery(of: [other], signature: .valid))
        await harness.idle()

        expect(harness.api.texts(to: busy) == (0..<12).map { "re: busy \($0)" },
               "the burst was not answered once each, in timestamp order: \(harness.api.texts(to: busy))")
        expect(harness.api.texts(to: quick) == ["re: quick"], "the other sender got \(harness.api.texts(to: quick))")
        expect(!held.value, "the other sender was held up behind the busy one")
    }

    /// A Markdown reply over three times the profile's text limit arrives as parts that each
    /// fit the limit (in its unit), in order, without Markdown the dialect does not show, and
    /// with the dialect's own markers where it has them.
    public static func longReplySplitWithinProfile(_ subject: any ChannelConformanceSubject) async throws {
        let probe = try subject.makeChannel(http: FakePlatformAPI(subject: subject))
        let profile = probe.profile
        var markdown = "# Trip plan\n\n"
        var days = 0
        while profile.textLimit.length(of: markdown) <= 3 * profile.textLimit.maximum, markdown.utf8.count < 200_000 {
            days += 1
            markdown += "## Day \(days)\n\nVisit **the old town** and read [the guide](https://example.com/day/\(days)). "
            markdown += "Try the *café* near the 🏰 — it's _lovely_ ~~crowded~~.\n\n- morning walk\n- lunch at `noon`\n\n"
            markdown += "```\nlet day = \(days)\n```\n\n"
        }
        let reply = markdown
        let harness = try await ConformanceHarness(subject: subject) { _ in AssistantReply(markdown: reply) }
        let message = ConformanceMessage(sender: "conf-long-user", id: "conf.long.1", text: "plan my trip", timestamp: time(0))
        try await harness.deliver(subject.delivery(of: [message], signature: .valid))
        await harness.idle()

        let parts = harness.api.texts(to: message.sender)
        expect(parts.count >= 3, "a reply of over three times the limit came as \(parts.count) part(s)")
        for (index, part) in parts.enumerated() {
            for unit in profile.textLimit.units {
                let length = profile.textLimit.length(of: part, in: unit)
                expect(length <= profile.textLimit.maximum,
                       "part \(index + 1) is \(length) \(unit.rawValue), over the limit of \(profile.textLimit.maximum)")
            }
            expect(!part.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "part \(index + 1) is empty")
        }
        let joined = parts.joined(separator: "\n")
        var last = joined.startIndex
        for day in 1...max(days, 1) {
            guard let found = joined.range(of: "Day \(day)\n", range: last..<joined.endIndex) ?? joined.range(of: "Day \(day)*", range: last..<joined.endIndex) else {
                Issue.record("channel conformance, long reply: \"Day \(day)\" is missing or out of order")
                break
            }
            last = found.upperBound
        }
        switch profile.formatting {
        case .plain:
            for marker in ["**", "](", "##", "~~", "`"] {
                expect(!joined.contains(marker), "plain-text parts contain the Markdown marker \(marker)")
            }
            expect(joined.contains("the guide (https://example.com/day/1)"), "plain text lost a link")
        case .whatsapp:
            for marker in ["**", "](", "##", "~~"] {
                expect(!joined.contains(marker), "WhatsApp parts contain the Markdown marker \(marker)")
            }
            for marker in ["*the old town*", "_café_", "~crowded~", "```"] {
                expect(joined.contains(marker), "WhatsApp parts lack the dialect's \(marker)")
            }
            for (index, part) in parts.enumerated() {
                expect(part.components(separatedBy: "```").count % 2 == 1, "part \(index + 1) leaves a code fence open")
            }
        case .markdown:
            expect(joined.contains("**the old town**"), "Markdown parts lost their markers")
        }
    }

    /// A send that fails twice with a failure that passes is retried and arrives once; the
    /// event is done.
    public static func transientFailureRetried(_ subject: any ChannelConformanceSubject) async throws {
        let harness = try await ConformanceHarness(subject: subject)
        harness.api.failNextSends([.transientFailure, .transientFailure])
        let message = ConformanceMessage(sender: "conf-retry-user", id: "conf.retry.1", text: "try again", timestamp: time(0))
        try await harness.deliver(subject.delivery(of: [message], signature: .valid))
        await harness.idle()
        let attempts = harness.api.attempts.filter { $0.recipient == message.sender }.count
        expect(attempts == 3, "a twice-failing send was attempted \(attempts) times, not 3")
        expect(harness.api.texts(to: message.sender) == ["re: \(message.text)"], "the retried reply arrived \(harness.api.texts(to: message.sender).count) times")
        let state = try await harness.items().first { $0.event.platformMessageID == message.id }?.state
        expect(state == .done, "the event is \(state.map { "\($0)" } ?? "missing"), not done")
    }

    /// A send refused for good is attempted once, never again, and the event is dead.
    public static func permanentFailureNotRetried(_ subject: any ChannelConformanceSubject) async throws {
        let harness = try await ConformanceHarness(subject: subject)
        harness.api.failNextSends([.permanentFailure])
        let message = ConformanceMessage(sender: "conf-refused-user", id: "conf.refused.1", text: "never mind", timestamp: time(0))
        try await harness.deliver(subject.delivery(of: [message], signature: .valid))
        await harness.idle()
        let attempts = harness.api.attempts.filter { $0.recipient == message.sender }.count
        expect(attempts == 1, "a permanently refused send was attempted \(attempts) times")
        expect(harness.api.texts(to: message.sender).isEmpty, "a permanently refused reply was delivered")
        let state = try await harness.items().first { $0.event.platformMessageID == message.id }?.state
        expect(state == .dead, "the event is \(state.map { "\($0)" } ?? "missing"), not dead")
    }

    // MARK: - Helpers

    /// A whole-second time `seconds` after a minute before the suite first asked: the
    /// messages are recent, as the platforms deliver them, within their 24-hour reply windows.
    public static func time(_ seconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(baseSeconds + seconds))
    }

    /// A minute before the suite first asked for a time, in whole seconds.
    static let baseSeconds = Int64(Date().timeIntervalSince1970) - 60

    static func expect(_ condition: Bool, _ message: @autoclosure () -> String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        if !condition { Issue.record("channel conformance: \(message())", sourceLocation: sourceLocation) }
    }

    static func expectForbidden(_ body: @autoclosure () async throws -> (outcome: WebhookOutcome, acceptance: Pipeline.Acceptance?),
                                _ what: String, sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            let result = try await body()
            Issue.record("channel conformance: \(what) was not refused: \(result.outcome)", sourceLocation: sourceLocation)
        } catch let error as ChannelError {
            expect(error.code == .forbidden, "\(what) was refused as \(error.code), not forbidden", sourceLocation: sourceLocation)
        } catch {
            Issue.record("channel conformance: \(what) threw \(error), not a ChannelError", sourceLocation: sourceLocation)
        }
    }

    /// The body with one character of `text` changed (or a space added when the text cannot
    /// be found as it is).
    static func tamper(_ body: [UInt8], text: String) -> [UInt8] {
        let needle = Array(text.utf8)
        if !needle.isEmpty, body.count >= needle.count {
            for start in 0...(body.count - needle.count) where Array(body[start..<start + needle.count]) == needle {
                var changed = body
                changed[start] = changed[start] == UInt8(ascii: "X") ? UInt8(ascii: "Y") : UInt8(ascii: "X")
                return changed
            }
        }
        return body + [UInt8(ascii: " ")]
    }
}

/// Set once a check sees something go wrong inside the assistant.
private final class HeldFlag: Sendable {
    private let state = Mutex(false)
    func set() { state.withLock { $0 = true } }
    var value: Bool { state.withLock { $0 } }
}

/// Hands the harness's fake API to the assistant closure made before the harness.
private final class APIBox: Sendable {
    private let state = Mutex<FakePlatformAPI?>(nil)
    var api: FakePlatformAPI? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
