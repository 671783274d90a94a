import ChannelKit
import Foundation
import Logging

/// Identity linking by email verification, the same for every channel: channels contribute
/// only their user ids.
///
/// 1. The person writes `/link name@example.com` (or "link my account name@example.com", or
///    taps a button with the payload ``IdentityCommand/Payload/link`` and then sends the
///    address).
/// 2. A 6-digit code goes to that address; it is stored only as a salted hash, is valid for
///    ``Options/codeLifetime`` and works once. Rate limits apply per identity and per address.
/// 3. The person types the code in the same chat: (channel, user id) is linked to the Sandra
///    profile of that address, created on first link. The same address linked from two
///    channels gives one profile.
/// 4. ``Options/maxAttempts`` wrong codes void the code. `/unlink`, `/whoami`, `/cancel` and
///    `/resend` do what they say.
///
/// Replies never say whether an address already has a profile. Logs carry addresses only
/// masked (`n***@example.com`) and never a code. When the email cannot be sent, the person is
/// told and the email stays owed in the store; ``deliverOwedEmails(logger:)`` — run
/// periodically by the host — sends it again, with a fresh code, with growing pauses.
///
/// ```swift
/// let flow = IdentityLinkFlow(store: store, mailer: mailer)
/// let pipeline = Pipeline(channels: channels, store: store, identities: store, assistant: assistant,
///                         commands: [flow], executor: TestThreads.replies, timers: TestThreads.timers, logger: logger)
/// ```
public final class IdentityLinkFlow: CommandHandler, Sendable {
    /// Tunables.
    public struct Options: Sendable {
        /// How long a code is valid.
        public var codeLifetime: Duration
        /// Wrong codes that void a code.
        public var maxAttempts: Int
        /// Codes per identity and per address within a window.
        public var limits: CodeLimits
        /// The pause before the first resend of an email that could not be sent; it doubles
        /// with each failure, up to ``maxMailRetryDelay``.
        public var mailRetryDelay: Duration
        /// The longest pause between resends.
        public var maxMailRetryDelay: Duration
        /// Sends of one email before it is given up (the code is then voided).
        public var maxMailAttempts: Int
        /// How long, after "link my account" without an address, the next message that is an
        /// address is taken as the one to link (kept in memory: a restart forgets the question).
        public var addressPromptLifetime: Duration
        /// The platforms' names people know, by channel name (`instagram` → `Instagram`),
        /// for the verification email; a channel not listed is named as configured.
        public var channelDisplayNames: [String: String] = [:]

        /// Creates options.
        public init(codeLifetime: Duration = .seconds(600), maxAttempts: Int = 5,
                    limits: CodeLimits = CodeLimits(perIdentity: 5, perEmail: 5, window: 3600),
                    mailRetryDelay: Duration = .seconds(30), maxMailRetryDelay: Duration = .seconds(900),
                    maxMailAttempts: Int = 8, addressPromptLifetime: Duration = .seconds(600),
                    channelDisplayNames: [String: String] = [:]) {
            self.codeLifetime = codeLifetime
            self.maxAttempts = max(1, maxAttempts)
            self.limits = limits
            self.mailRetryDelay = mailRetryDelay
            self.maxMailRetryDelay = maxMailRetryDelay
            self.maxMailAttempts = max(1, maxMailAttempts)
            self.addressPromptLifetime = addressPromptLifetime
            self.channelDisplayNames = channelDisplayNames
        }
    }

    /// What happened to an email.
    enum Delivery {
        case sent, deferred, refused
    }

    private let store: any IdentityStore & SharedStateStore
    private let mailer: any Mailer
    private let options: Options
    private let now: @Sendable () -> Date
    /// The shared-state scope of "what address?" prompts: one value per identity asked, until
    /// the question lapses, in the store so that the answer may reach any host.
    static let addressPromptScope = "identity.address_prompt"

    /// Creates the flow.
    /// - Parameters:
    ///   - store: profiles, links, pending codes and the audit log, and the "what address?"
    ///     prompts awaiting an answer.
    ///   - mailer: sends the codes.
    ///   - options: lifetimes, limits and retries.
    ///   - now: the clock; tests pass their own.
    public init(store: any IdentityStore & SharedStateStore, mailer: any Mailer, options: Options = Options(),
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.mailer = mailer
        self.options = options
        self.now = now
    }

    // MARK: - CommandHandler

    public func handle(_ request: CommandRequest, logger: Logger) async throws -> CommandOutcome {
        let identity = request.identity
        var command = IdentityCommand.parse(text: request.message.text, payload: request.message.payload)
        if command == .notACommand, try await takeAddressPrompt(of: identity) {
            command = Self.answerToAddressPrompt(request.message.text)
        }
        switch command {
        case .notACommand:
            return .pass
        case .startLink:
            try await promptForAddress(identity)
            return .reply(IdentityReplies.askForAddress)
        case .invalidEmail:
            try await promptForAddress(identity)
            return .reply(IdentityReplies.invalidAddress)
        case .link(let email):
            try await forgetAddressPrompt(of: identity)
            return .reply(try await link(identity, to: email, logger: logger))
        case .code(let digits):
            return try await redeem(digits, from: identity, logger: logger).map(CommandOutcome.reply) ?? .pass
        case .unlink:
            try await forgetAddressPrompt(of: identity)
            return .reply(try await unlink(identity, logger: logger))
        case .whoami:
            return .reply(try await whoami(identity))
        case .cancel:
            try await forgetAddressPrompt(of: identity)
            return .reply(try await cancel(identity, logger: logger))
        case .resend:
            return .reply(try await resend(identity, logger: logger))
        }
    }

    // MARK: - The steps

    private func link(_ identity: ChannelIdentity, to email: EmailAddress, logger: Logger) async throws -> AssistantReply {
        if let current = try await store.profile(for: identity), current.email == email.value {
            return IdentityReplies.alreadyLinked(email)
        }
        return try await issue(to: email, for: identity, logger: logger)
    }

    /// Makes a code, records it (unless a rate limit says no) and sends it.
    private func issue(to email: EmailAddress, for identity: ChannelIdentity, logger: Logger) async throws -> AssistantReply {
        let clock = now()
        let code = LinkCode.generate()
        // The first send happens right below; the owed-mail worker may take the code only if
        // that send never finishes (a crash), so that it cannot send a second code meanwhile.
        let pending = PendingCode(id: LinkCode.newID(), identity: identity, email: email.value, emailDigest: email.digest,
                                  sealed: LinkCode.seal(code), createdAt: clock,
                                  expiresAt: clock.addingTimeInterval(options.codeLifetime.seconds),
                                  mailNextAttemptAt: clock.addingTimeInterval(Self.firstSendGrace(options)))
        switch try await store.issueCode(pending, limits: options.limits, at: clock) {
        case .issued:
            break
        case .identityLimited, .emailLimited:
            logger.notice("identity link code refused: rate limit", metadata: ["email": "\(email.masked)"])
            return IdentityReplies.rateLimited
        }
        logger.info("identity link code issued", metadata: ["email": "\(email.masked)", "code_id": "\(pending.id)"])
        switch try await deliver(code, of: pending, logger: logger) {
        case .sent:
            return mailer.deliversEmail
                ? IdentityReplies.codeSent(to: email, validFor: options.codeLifetime)
                : IdentityReplies.codeLogged(for: email, validFor: options.codeLifetime)
        case .deferred: return IdentityReplies.mailDeferred(to: email)
        case .refused: return IdentityReplies.mailRefused
        }
    }

    private func redeem(_ digits: String, from identity: ChannelIdentity, logger: Logger) async throws -> AssistantReply? {
        guard let pending = try await store.pendingCode(for: identity) else {
            return nil   // no code is pending: an ordinary number, for the assistant
        }
        let clock = now()
        if clock >= pending.expiresAt {
            _ = try await store.discardCode(pending.id, reason: .codeExpired, at: clock)
            logger.info("identity link code expired", metadata: ["code_id": "\(pending.id)"])
            return IdentityReplies.expired
        }
        guard LinkCode.matches(digits, pending.sealed) else {
            switch try await store.recordWrongCode(pending.id, maxAttempts: options.maxAttempts, at: clock) {
            case .attemptsLeft(let left):
                logger.info("wrong identity link code", metadata: ["code_id": "\(pending.id)", "tries_left": "\(left)"])
                return IdentityReplies.wrongCode(triesLeft: left)
            case .lockedOut:
                logger.warning("identity link code voided after too many wrong codes", metadata: ["code_id": "\(pending.id)"])
                return IdentityReplies.lockedOut
            case .gone:
                return IdentityReplies.noPendingCode
            }
        }
        guard let profile = try await store.redeemCode(pending.id, at: clock) else {
            return IdentityReplies.expired
        }
        let identities = try await store.identities(ofProfile: profile.id)
        logger.info("identity linked", metadata: ["profile_id": "\(profile.id)", "linked_identities": "\(identities.count)"])
        return IdentityReplies.linked(profile, identities: identities)
    }

    private func unlink(_ identity: ChannelIdentity, logger: Logger) async throws -> AssistantReply {
        let clock = now()
        if let pending = try await store.pendingCode(for: identity) {
            _ = try await store.discardCode(pending.id, reason: .codeCancelled, at: clock)
        }
        guard let profile = try await store.unlink(identity, at: clock) else {
            return IdentityReplies.notLinked
        }
        logger.info("identity unlinked", metadata: ["profile_id": "\(profile.id)"])
        return IdentityReplies.unlinked(profile)
    }

    private func whoami(_ identity: ChannelIdentity) async throws -> AssistantReply {
        if let profile = try await store.profile(for: identity) {
            return IdentityReplies.whoami(profile, identities: try await store.identities(ofProfile: profile.id))
        }
        if let pending = try await store.pendingCode(for: identity), now() < pending.expiresAt,
           let email = EmailAddress(pending.email) {
            return IdentityReplies.waitingForCode(email)
        }
        return IdentityReplies.notLinked
    }

    private func cancel(_ identity: ChannelIdentity, logger: Logger) async throws -> AssistantReply {
        guard let pending = try await store.pendingCode(for: identity),
              try await store.discardCode(pending.id, reason: .codeCancelled, at: now()) else {
            return IdentityReplies.noPendingCode
        }
        logger.info("identity link code cancelled", metadata: ["code_id": "\(pending.id)"])
        return IdentityReplies.cancelled
    }

    private func resend(_ identity: ChannelIdentity, logger: Logger) async throws -> AssistantReply {
        guard let pending = try await store.pendingCode(for: identity), let email = EmailAddress(pending.email) else {
            return IdentityReplies.noPendingCode
        }
        return try await issue(to: email, for: identity, logger: logger)
    }

    // MARK: - Email

    /// Sends the emails still owed (their first send failed), each with a fresh code, and
    /// deletes codes that expired more than one code lifetime ago (until then a late code gets
    /// "that code has expired" rather than going to the assistant). The host runs this periodically.
    /// - Returns: how many emails went out.
    @discardableResult
    public func deliverOwedEmails(logger: Logger) async -> Int {
        let clock = now()
        var sent = 0
        do {
            let purged = try await store.purgeExpiredCodes(at: clock.addingTimeInterval(-options.codeLifetime.seconds))
            if purged > 0 { logger.debug("expired identity link codes deleted", metadata: ["count": "\(purged)"]) }
            for owed in try await store.codesAwaitingMail(at: clock, limit: 50) {
                if Task.isCancelled { break }
                if owed.mailAttempts >= options.maxMailAttempts {
                    _ = try await store.discardCode(owed.id, reason: .mailFailed, at: clock)
                    logger.warning("verification email given up after every attempt; the code is void",
                                   metadata: ["code_id": "\(owed.id)", "attempts": "\(owed.mailAttempts)"])
                    continue
                }
                // The code of the failed email exists only as a hash: send a fresh one.
                let code = LinkCode.generate()
                var fresh = owed
                fresh.id = LinkCode.newID()
                fresh.sealed = LinkCode.seal(code)
                fresh.createdAt = now()
                fresh.expiresAt = fresh.createdAt.addingTimeInterval(options.codeLifetime.seconds)
                fresh.failedAttempts = 0
                fresh.mailNextAttemptAt = fresh.createdAt.addingTimeInterval(Self.firstSendGrace(options))
                guard try await store.reissueCode(owed.id, as: fresh, at: fresh.createdAt) else { continue }
                if try await deliver(code, of: fresh, logger: logger) == .sent { sent += 1 }
            }
        } catch {
            if !Task.isCancelled {
                logger.warning("owed verification emails not processed", metadata: ["error": "\(error)"])
            }
        }
        return sent
    }

    /// Sends a code's email and records the outcome: sent, owed (a retry is scheduled) or
    /// refused for good (the code is voided).
    private func deliver(_ code: String, of pending: PendingCode, logger: Logger) async throws -> Delivery {
        let message = Self.email(code: code, for: pending, validFor: options.codeLifetime,
                                 channelName: options.channelDisplayNames[pending.identity.channel] ?? pending.identity.channel)
        do {
            try await mailer.send(message, logger: logger)
        } catch {
            let failure = (error as? MailerError) ?? MailerError(.unavailable, "\(type(of: error))")
            let attempts = pending.mailAttempts + 1
            if !failure.isRetryable || attempts >= options.maxMailAttempts {
                _ = try await store.discardCode(pending.id, reason: .mailFailed, at: now())
                logger.warning("verification email not delivered; the code is void",
                               metadata: ["code_id": "\(pending.id)", "error": "\(failure)", "attempts": "\(attempts)"])
                return .refused
            }
            let delay = retryDelay(afterAttempts: attempts)
            _ = try await store.deferCodeMail(pending.id, reason: failure.description,
                                              nextAttemptAt: now().addingTimeInterval(delay.seconds), at: now())
            logger.warning("verification email not sent; it will be retried", metadata: [
                "code_id": "\(pending.id)", "error": "\(failure)", "attempt": "\(attempts)", "retry_in_s": "\(Int(delay.seconds))",
            ])
            if Task.isCancelled { throw CancellationError() }
            return .deferred
        }
        _ = try await store.markCodeMailed(pending.id, at: now())
        logger.info("verification email sent", metadata: ["code_id": "\(pending.id)", "email": "\(EmailAddress(pending.email)?.masked ?? "***")"])
        return .sent
    }

    /// How long a code's first send is left alone by the owed-mail worker: longer than any
    /// send can take, at least a minute.
    static func firstSendGrace(_ options: Options) -> TimeInterval {
        max(60, options.mailRetryDelay.seconds)
    }

    /// The pause after `attempts` failed sends: the base delay doubled per failure, capped.
    func retryDelay(afterAttempts attempts: Int) -> Duration {
        let factor = Double(1 << min(max(attempts - 1, 0), 20))
        return .seconds(min(options.mailRetryDelay.seconds * factor, options.maxMailRetryDelay.seconds))
    }

    /// The verification email.
    static func email(code: String, for pending: PendingCode, validFor lifetime: Duration, channelName: String) -> EmailMessage {
        EmailMessage(to: pending.email, subject: "Your Sandra verification code", text: """
            Hello,

            Your Sandra verification code is: \(code)

            Type it in the \(channelName) chat where you asked to link your account to your \
            Sandra profile. It is valid for \(IdentityReplies.minutes(lifetime)) and works once.

            If you did not ask for it, ignore this email: nothing is linked without the code.

            — Sandra

            """)
    }

    // MARK: - Asking for the address

    private func promptForAddress(_ identity: ChannelIdentity) async throws {
        let clock = now()
        try await store.setSharedValue("", scope: Self.addressPromptScope, key: Self.promptKey(identity),
                                       expiresAt: clock.addingTimeInterval(options.addressPromptLifetime.seconds), at: clock)
    }

    private func forgetAddressPrompt(of identity: ChannelIdentity) async throws {
        _ = try await store.takeSharedValue(scope: Self.addressPromptScope, key: Self.promptKey(identity), at: now())
    }

    /// Whether the identity was asked for its address and the question still stands; the
    /// question is used up either way.
    private func takeAddressPrompt(of identity: ChannelIdentity) async throws -> Bool {
        try await store.takeSharedValue(scope: Self.addressPromptScope, key: Self.promptKey(identity), at: now()) != nil
    }

    /// The shared-state key of an identity's prompt: channel and user id, which no channel
    /// name can blur (channel names have no newline).
    static func promptKey(_ identity: ChannelIdentity) -> String {
        "\(identity.channel)\n\(identity.userID)"
    }

    /// A message sent after "what address?": one word with an `@` is the address to link.
    static func answerToAddressPrompt(_ text: String) -> IdentityCommand {
        let words = text.split(whereSeparator: \.isWhitespace)
        guard words.count == 1, let word = words.first, word.contains("@") else { return .notACommand }
        let stripped = word.trimmingCharacters(in: CharacterSet(charactersIn: ".,;:!?\"'()<>[]"))
        return EmailAddress(stripped).map(IdentityCommand.link) ?? .invalidEmail
    }
}
