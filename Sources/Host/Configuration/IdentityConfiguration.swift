/// The `identity:` section of `channels.yaml`: linking a person's channel accounts to one
/// Sandra profile by email verification.
///
/// | Key | Default | Meaning |
/// |-----|---------|---------|
/// | `enabled` | `true` | `false`: `/link` and the other commands go to the assistant like any text. |
/// | `code_ttl_seconds` | `600` | `>= 1`; how long an emailed code is valid. |
/// | `max_attempts` | `5` | `>= 1`; wrong codes that void a code. |
/// | `max_codes_per_user_per_hour` | `5` | `>= 1`; codes one chat identity may ask for per hour. |
/// | `max_codes_per_email_per_hour` | `5` | `>= 1`; codes one address may receive per hour, whoever asks. |
/// | `shared_history` | `false` | `true`: the assistant sees a linked person's turns from every linked channel, merged by time. |
/// | `email` | | see ``IdentityEmailConfiguration``. |
struct IdentityConfiguration: Sendable, Hashable {
    /// The default `code_ttl_seconds`.
    static let defaultCodeTTLSeconds = 600
    /// The default `max_attempts`.
    static let defaultMaxAttempts = 5
    /// The default `max_codes_per_user_per_hour`.
    static let defaultMaxCodesPerUserPerHour = 5
    /// The default `max_codes_per_email_per_hour`.
    static let defaultMaxCodesPerEmailPerHour = 5
    /// The keys of the section.
    static let keys = ["enabled", "code_ttl_seconds", "max_attempts", "max_codes_per_user_per_hour",
                       "max_codes_per_email_per_hour", "shared_history", "email"]

    /// Whether the linking commands are answered (`enabled`).
    var enabled: Bool
    /// How long a code is valid, in seconds (`code_ttl_seconds`).
    var codeTTLSeconds: Int
    /// Wrong codes that void a code (`max_attempts`).
    var maxAttempts: Int
    /// Codes per chat identity per hour (`max_codes_per_user_per_hour`).
    var maxCodesPerUserPerHour: Int
    /// Codes per address per hour (`max_codes_per_email_per_hour`).
    var maxCodesPerEmailPerHour: Int
    /// Whether a linked person's memory follows them across channels (`shared_history`).
    var sharedHistory: Bool
    /// The `email:` subsection.
    var email: IdentityEmailConfiguration

    /// Creates the section; every value defaults to the documented default.
    init(
        enabled: Bool = true,
        codeTTLSeconds: Int = defaultCodeTTLSeconds,
        maxAttempts: Int = defaultMaxAttempts,
        maxCodesPerUserPerHour: Int = defaultMaxCodesPerUserPerHour,
        maxCodesPerEmailPerHour: Int = defaultMaxCodesPerEmailPerHour,
        sharedHistory: Bool = false,
        email: IdentityEmailConfiguration = .init()
    ) {
        self.enabled = enabled
        self.codeTTLSeconds = codeTTLSeconds
        self.maxAttempts = maxAttempts
        self.maxCodesPerUserPerHour = maxCodesPerUserPerHour
        self.maxCodesPerEmailPerHour = maxCodesPerEmailPerHour
        self.sharedHistory = sharedHistory
        self.email = email
    }
}
