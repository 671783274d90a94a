/// The `admin:` section of `channels.yaml`: the admin portal at `/admin` and its JSON API.
///
/// | Key | Default | Meaning |
/// |-----|---------|---------|
/// | `password` | `""` | The admin password (at least 12 characters). Empty, with no `password_hash`: the portal is off. Held only as a salted scrypt hash once the host runs. |
/// | `password_hash` | `""` | Instead of `password`: a hash printed by `sandra hash-password`. |
/// | `api_token` | `""` | The bearer token of the JSON API (`/admin/api/…`), at least 24 characters; empty: the API is off. |
/// | `secret_key` | `""` | 32 bytes, base64 or hex, that encrypt saved secrets (AES-256-GCM). Empty: the key file is used. |
/// | `secret_key_file` | `secret.key` beside the database | Created with mode 0600 on first run when `secret_key` is empty. |
/// | `public_base_url` | `""` | The host's public URL, for the callback URL shown to paste into Meta; empty: taken from the request. |
/// | `cookie_secure` | `true` | Whether the session cookie is `Secure` (browsers still send it to `http://localhost`). |
/// | `session_idle_minutes` | `30` | `>= 1`; a session unused this long ends. |
/// | `session_max_hours` | `12` | `>= 1`; a session ends this long after login, used or not. |
/// | `max_failed_logins` | `5` | `>= 1`; failed logins from one address before it is locked out. |
/// | `lockout_minutes` | `15` | `>= 1`; how long a lockout lasts, and the window failures are counted in. |
/// | `trusted_proxies` | none | Addresses or CIDR blocks of reverse proxies in front of the host: from them, the client is read from `X-Forwarded-For` (failed logins are counted per client, not per proxy). |
struct AdminConfiguration: Sendable, Hashable {
    /// The keys of the section.
    static let keys = [
        "password", "password_hash", "api_token", "secret_key", "secret_key_file", "public_base_url", "cookie_secure",
        "session_idle_minutes", "session_max_hours", "max_failed_logins", "lockout_minutes", "trusted_proxies",
    ]
    /// The shortest admin password accepted.
    static let minimumPasswordLength = 12
    /// The shortest API token accepted.
    static let minimumAPITokenLength = 24

    /// The admin password (`password`), or empty.
    var password: String = ""
    /// A `sandra hash-password` hash (`password_hash`), or empty.
    var passwordHash: String = ""
    /// The JSON API's bearer token (`api_token`), or empty.
    var apiToken: String = ""
    /// The key that encrypts saved secrets (`secret_key`), or empty.
    var secretKey: String = ""
    /// Where the key is kept when `secret_key` is empty (`secret_key_file`); empty: beside the database.
    var secretKeyFile: String = ""
    /// The host's public URL (`public_base_url`), or empty.
    var publicBaseURL: String = ""
    /// Whether the session cookie is `Secure` (`cookie_secure`).
    var cookieSecure: Bool = true
    /// Idle session lifetime in minutes (`session_idle_minutes`).
    var sessionIdleMinutes: Int = 30
    /// Absolute session lifetime in hours (`session_max_hours`).
    var sessionMaxHours: Int = 12
    /// Failed logins before a lockout (`max_failed_logins`).
    var maxFailedLogins: Int = 5
    /// Lockout length and counting window in minutes (`lockout_minutes`).
    var lockoutMinutes: Int = 15
    /// Reverse proxies whose `X-Forwarded-For` names the client (`trusted_proxies`), canonical.
    var trustedProxies: [String] = []

    /// scrypt's N for hashing `password` at start-up. Not a key of the file: always
    /// ``PasswordHash/defaultRounds`` but in tests, which lower it to stay fast.
    var passwordHashRounds: Int = PasswordHash.defaultRounds

    /// Whether the portal serves logins.
    var portalEnabled: Bool { !password.isEmpty || !passwordHash.isEmpty }
}
