import ChannelIdentity
import ChannelKit
import Logging

/// The embedded default mailer while `identity.email.smtp_url` is empty: it sends nothing
/// and writes each email — the code included — to the log, so the sandbox's linking flow
/// works without a mail server. Clearly labelled at start-up and on every email; never for
/// production.
struct DevelopmentLogMailer: Mailer {
    func send(_ email: EmailMessage, logger: Logger) async throws {
        let recipient = EmailAddress(email.to)?.masked ?? "***"
        logger.notice("""
            DEVELOPMENT MAILER (identity.email.smtp_url is empty): this email was NOT sent, it is only written here.
            To: \(recipient)
            Subject: \(email.subject)

            \(email.text)
            """)
    }

    var deliversEmail: Bool { false }

    var summary: String {
        "development mailer: verification emails are written to this log, not sent (set identity.email.smtp_url to send them)"
    }
}
