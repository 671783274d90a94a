/// The `identity.email:` section of `channels.yaml`: how verification codes are emailed.
///
/// | Key | Default | Meaning |
/// |-----|---------|---------|
/// | `smtp_url` | `""` | `smtp://host:587` (STARTTLS) or `smtps://host:465`; empty: the development mailer, which writes emails to the log instead of sending them. |
/// | `username` | `""` | SMTP AUTH user; empty: no AUTH. |
/// | `password` | `""` | SMTP AUTH password (secret). |
/// | `from` | `""` | The sender, `sandra@example.com` or `Sandra <sandra@example.com>`; required with `smtp_url`. |
/// | `starttls` | `required` | For `smtp://`: `required`, `optional` (when offered) or `off`. |
/// | `ca_file` | `""` | A PEM file of CAs to trust instead of the system's. |
/// | `connect_timeout_seconds` | `10` | `>= 1`; connecting (TCP and TLS). |
/// | `timeout_seconds` | `30` | `>= 1`; one whole send. |
/// | `retry_delay_seconds` | `30` | `>= 1`; the pause before resending an email that failed; it doubles each time (at most 15 minutes). |
/// | `max_send_attempts` | `8` | `>= 1`; sends of one email before it is given up and its code voided. |
/// | `development_mailer` | `false` | `true`: the operator chooses the development mailer (no `smtp_url`) on a host with a live channel, which otherwise refuses to start with it. |
struct IdentityEmailConfiguration: Sendable, Hashable {
    /// The default `connect_timeout_seconds`.
    static let defaultConnectTimeoutSeconds = 10
    /// The default `timeout_seconds`.
    static let defaultTimeoutSeconds = 30
    /// The default `retry_delay_seconds`.
    static let defaultRetryDelaySeconds = 30
    /// The default `max_send_attempts`.
    static let defaultMaxSendAttempts = 8
    /// The keys of the section.
    static let keys = ["smtp_url", "username", "password", "from", "starttls", "ca_file", "connect_timeout_seconds",
                       "timeout_seconds", "retry_delay_seconds", "max_send_attempts", "development_mailer"]

    /// The SMTP server (`smtp_url`); empty for the development mailer.
    var smtpURL: String
    /// Whether the operator chose the development mailer on purpose (`development_mailer`).
    var developmentMailer = false
    /// The AUTH user (`username`).
    var username: String
    /// The AUTH password (`password`); a secret.
    var password: String
    /// The sender (`from`).
    var from: String
    /// STARTTLS for `smtp://` (`starttls`).
    var startTLS: StartTLSPolicy
    /// CAs to trust (`ca_file`); empty for the system's.
    var caFile: String
    /// Connect timeout in seconds (`connect_timeout_seconds`).
    var connectTimeoutSeconds: Int
    /// Send timeout in seconds (`timeout_seconds`).
    var timeoutSeconds: Int
    /// First resend pause in seconds (`retry_delay_seconds`).
    var retryDelaySeconds: Int
    /// Sends before giving up (`max_send_attempts`).
    var maxSendAttempts: Int

    /// Creates the section; every value defaults to the documented default.
    init(
        smtpURL: String = "",
        username: String = "",
        password: String = "",
        from: String = "",
        startTLS: StartTLSPolicy = .required,
        caFile: String = "",
        connectTimeoutSeconds: Int = defaultConnectTimeoutSeconds,
        timeoutSeconds: Int = defaultTimeoutSeconds,
        retryDelaySeconds: Int = defaultRetryDelaySeconds,
        maxSendAttempts: Int = defaultMaxSendAttempts
    ) {
        self.smtpURL = smtpURL
        self.username = username
        self.password = password
        self.from = from
        self.startTLS = startTLS
        self.caFile = caFile
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.timeoutSeconds = timeoutSeconds
        self.retryDelaySeconds = retryDelaySeconds
        self.maxSendAttempts = maxSendAttempts
    }

    /// Whether emails go to an SMTP server (else the development mailer writes them to the log).
    var usesSMTP: Bool { !smtpURL.isEmpty }
}
