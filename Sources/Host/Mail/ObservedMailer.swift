import ChannelIdentity
import ChannelKit
import Logging

/// A mailer that tells the status board how its sends went, so `/readyz` reports the mailer
/// `degraded` when every email has failed for `server.degraded_after_seconds`, and counts them
/// on `/metrics` (`sandra_emails_total`).
struct ObservedMailer: Mailer {
    /// The mailer that sends.
    let base: any Mailer
    let status: ChannelStatusBoard
    var metrics: MailMetrics = .none

    func send(_ email: EmailMessage, logger: Logger) async throws {
        do {
            try await base.send(email, logger: logger)
            status.markMailSent()
            metrics.emailSent()
        } catch {
            // Shown in /readyz and the portal: the kind of failure, never the server's text,
            // which often repeats the recipient's address.
            metrics.emailFailed()
            status.markMailFailed(error: (error as? MailerError).map { "\($0.code)" } ?? "\(type(of: error))")
            throw error
        }
    }

    var summary: String { base.summary }

    var deliversEmail: Bool { base.deliversEmail }
}
