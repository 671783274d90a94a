import ChannelIdentity
import ChannelKit
import Foundation
import Logging
import Synchronization

/// A mailer for tests: records every email and fails sends as scripted.
///
/// ```swift
/// let mailer = RecordingMailer()
/// mailer.failNextSends([MailerError(.unavailable, "connection refused")])
/// // … after a link request:
/// let code = try #require(RecordingMailer.code(in: mailer.sent.last))
/// ```
public final class RecordingMailer: Mailer, Sendable {
    private let state = Mutex<(sent: [EmailMessage], failures: [MailerError], attempts: Int)>(([], [], 0))

    /// Creates a mailer that accepts everything.
    public init() {}

    /// Every email accepted so far, in order.
    public var sent: [EmailMessage] { state.withLock { $0.sent } }

    /// Every call of ``send(_:logger:)``, failed ones included.
    public var attempts: Int { state.withLock { $0.attempts } }

    /// Makes the next sends fail with these errors, in order.
    public func failNextSends(_ errors: [MailerError]) {
        state.withLock { $0.failures.append(contentsOf: errors) }
    }

    public func send(_ email: EmailMessage, logger: Logger) async throws {
        let failure: MailerError? = state.withLock { state in
            state.attempts += 1
            if !state.failures.isEmpty { return state.failures.removeFirst() }
            state.sent.append(email)
            return nil
        }
        if let failure { throw failure }
    }

    public var summary: String { "recording mailer (tests)" }

    /// The 6-digit code in an email's text: the first run of exactly six digits.
    public static func code(in email: EmailMessage?) -> String? {
        guard let text = email?.text else { return nil }
        var run = ""
        for character in text + " " {
            if character.isASCII, character.isNumber {
                run.append(character)
            } else {
                if run.count == 6 { return run }
                run = ""
            }
        }
        return nil
    }
}
