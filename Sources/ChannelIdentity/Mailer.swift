import ChannelKit
import Logging

/// Sends email: verification codes for identity linking.
///
/// ChannelKit defines the contract; the host provides the implementations (SMTP through
/// libcurl, and a development mailer that writes messages to the log).
public protocol Mailer: Sendable {
    /// Sends one plain-text email. Must not block a cooperative thread for the length of a
    /// network exchange, and must give up within its own timeouts.
    /// - Throws: ``MailerError``; `.rejected` means resending the same message is useless.
    func send(_ email: EmailMessage, logger: Logger) async throws

    /// What the mailer is, for start-up logs: no credentials, no addresses.
    var summary: String { get }

    /// Whether a sent email reaches its recipient; `false` for a development mailer that only
    /// logs it, so nobody is told an email was sent.
    var deliversEmail: Bool { get }
}

extension Mailer {
    /// Mailers deliver email unless they say otherwise.
    public var deliversEmail: Bool { true }
}
