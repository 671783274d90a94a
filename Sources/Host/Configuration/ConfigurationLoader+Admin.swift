import Foundation
import Yams

// MARK: - Reading `admin:` of channels.yaml

extension ConfigurationLoader {
    /// Reads `admin:`: the password (or its hash), the API token and the encryption key are
    /// checked here so that a bad value stops the host with its line, not at the first login.
    func readAdmin(_ section: MappingReader) -> AdminConfiguration {
        section.rejectUnknownKeys(known: AdminConfiguration.keys)
        var admin = AdminConfiguration()
        admin.password = section.value("password", default: "") { text in
            text.count >= AdminConfiguration.minimumPasswordLength
                ? .success(text)
                : .failure(.init(message: "must be at least \(AdminConfiguration.minimumPasswordLength) characters"))
        }
        admin.passwordHash = section.value("password_hash", default: "") { text in
            PasswordHash(encoded: text) == nil
                ? .failure(.init(message: "expected a hash printed by `sandra hash-password` (scrypt$…)"))
                : .success(text)
        }
        if !admin.password.isEmpty, !admin.passwordHash.isEmpty, let entry = section.entry("password_hash") {
            section.problems.add("set either password or password_hash, not both", keyPath: section.path("password_hash"),
                                 at: entry.keyNode.mark)
        }
        admin.apiToken = section.value("api_token", default: "") { text in
            text.count >= AdminConfiguration.minimumAPITokenLength
                ? .success(text)
                : .failure(.init(message: "must be at least \(AdminConfiguration.minimumAPITokenLength) characters"))
        }
        admin.secretKey = section.value("secret_key", default: "") { text in
            SecretBox.keyBytes(from: text) == nil
                ? .failure(.init(message: "expected 32 bytes as base64 (44 characters) or hex (64 characters); `openssl rand -base64 32` makes one"))
                : .success(text)
        }
        admin.secretKeyFile = section.string("secret_key_file", default: "")
        admin.publicBaseURL = section.url("public_base_url", default: "")
        admin.cookieSecure = section.boolean("cookie_secure", default: true)
        admin.sessionIdleMinutes = section.integer("session_idle_minutes", default: 30, minimum: 1)
        admin.sessionMaxHours = section.integer("session_max_hours", default: 12, minimum: 1)
        admin.maxFailedLogins = section.integer("max_failed_logins", default: 5, minimum: 1)
        admin.lockoutMinutes = section.integer("lockout_minutes", default: 15, minimum: 1)
        admin.trustedProxies = section.list("trusted_proxies") { text in
            AddressRange(text).map { .success($0.description) }
                ?? .failure(.init(message: "expected an IP address or a CIDR block such as 10.0.0.0/8"))
        }
        return admin
    }
}

extension ConfigurationLoader {
    /// With PostgreSQL, every host must seal and open saved secrets with one key: the default
    /// key file beside the SQLite database would give each host a key of its own, and a token
    /// saved through one host's portal could not be read by the others.
    func requireSharedSecretKey(_ configuration: HostConfiguration, storage: MappingReader) {
        guard configuration.storage.postgres.isEnabled, configuration.admin.secretKey.isEmpty,
              configuration.admin.secretKeyFile.isEmpty else { return }
        let postgres = storage.section("postgres")
        postgres.problems.add(
            "with PostgreSQL every host needs the same key for saved secrets: set admin.secret_key (SANDRA_SECRET_KEY) or admin.secret_key_file (SANDRA_SECRET_KEY_FILE); `openssl rand -base64 32` makes one",
            keyPath: postgres.path("url"), at: postgres.entry("url")?.keyNode.mark ?? postgres.anchor)
    }
}

