import ChannelIdentity
import ChannelKit
import Foundation
import Logging

/// Sends email through an SMTP server with libcurl: `smtp://` upgraded with STARTTLS (as
/// ``StartTLSPolicy`` says), `smtps://` (TLS from the first byte), AUTH when a username is
/// set, the server's certificate checked against the system's CAs (or ``Settings/caFile``).
///
/// libcurl's easy API blocks, so each send runs on a thread of its own — never on an event
/// loop, never holding a cooperative thread, never waiting behind another slow send (a
/// concurrent dispatch queue would run only as many at once as there are cores) — and gives
/// up after the connect and total timeouts. Verification emails are few; a thread each is cheap.
struct SMTPMailer: Mailer {
    /// Where and how to send.
    struct Settings: Sendable, Hashable {
        /// `smtp://host[:port]` (default port 25; 587 for submission) or `smtps://host[:port]` (465).
        var url: String
        /// AUTH user name; empty for no AUTH.
        var username: String
        /// AUTH password.
        var password: String
        /// The sender (`From` and `MAIL FROM`).
        var from: MailboxAddress
        /// STARTTLS for `smtp://`.
        var startTLS: StartTLSPolicy
        /// A PEM file of CA certificates to trust instead of the system's, if any.
        var caFile: String?
        /// How long connecting (TCP and TLS) may take.
        var connectTimeout: Duration
        /// How long one whole send may take.
        var timeout: Duration
    }

    let settings: Settings

    func send(_ email: EmailMessage, logger: Logger) async throws {
        guard let recipient = EmailAddress(email.to) else {
            throw MailerError(.rejected, "the recipient is not a valid address")
        }
        let payload = MIMEMessage(from: settings.from, to: recipient, subject: email.subject, text: email.text).bytes
        let settings = self.settings
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                do {
                    try SMTPTransfer(payload: payload).perform(settings, recipient: recipient.value)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "sandra-smtp"
            thread.start()
        }
    }

    var summary: String {
        let tls = switch (Self.scheme(of: settings.url), settings.startTLS) {
        case ("smtps", _): "TLS"
        case (_, .required): "STARTTLS required"
        case (_, .optional): "STARTTLS when offered"
        case (_, .off): "no TLS"
        }
        return "SMTP \(Self.redacted(settings.url)) (\(tls)\(settings.username.isEmpty ? "" : ", AUTH"))"
    }

    /// The URL's scheme, lowercased.
    static func scheme(of url: String) -> String {
        URLComponents(string: url)?.scheme?.lowercased() ?? ""
    }

    /// `scheme://host:port` without any user name or password the URL may hold.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "(invalid URL)" }
        components.user = nil
        components.password = nil
        components.query = nil
        return components.string ?? "(invalid URL)"
    }
}
