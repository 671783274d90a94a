import ChannelKit
import Foundation
import Yams

// MARK: - Reading `identity:` of channels.yaml

extension ConfigurationLoader {
    /// Reads `identity:` and its `email:` subsection.
    func readIdentity(_ section: MappingReader) -> IdentityConfiguration {
        section.rejectUnknownKeys(known: IdentityConfiguration.keys)
        return IdentityConfiguration(
            enabled: section.boolean("enabled", default: true),
            codeTTLSeconds: section.integer("code_ttl_seconds", default: IdentityConfiguration.defaultCodeTTLSeconds, minimum: 1),
            maxAttempts: section.integer("max_attempts", default: IdentityConfiguration.defaultMaxAttempts, minimum: 1),
            maxCodesPerUserPerHour: section.integer(
                "max_codes_per_user_per_hour", default: IdentityConfiguration.defaultMaxCodesPerUserPerHour, minimum: 1),
            maxCodesPerEmailPerHour: section.integer(
                "max_codes_per_email_per_hour", default: IdentityConfiguration.defaultMaxCodesPerEmailPerHour, minimum: 1),
            sharedHistory: section.boolean("shared_history", default: false),
            email: readIdentityEmail(section.section("email"))
        )
    }

    /// Reads `identity.email:`; `from` is required with `smtp_url`.
    private func readIdentityEmail(_ section: MappingReader) -> IdentityEmailConfiguration {
        section.rejectUnknownKeys(known: IdentityEmailConfiguration.keys)
        let policies = StartTLSPolicy.allCases.map(\.rawValue).joined(separator: ", ")
        var email = IdentityEmailConfiguration(
            smtpURL: section.value("smtp_url", default: "") { text in
                // The URL may carry credentials: problems never repeat it.
                guard let components = URLComponents(string: text),
                      let scheme = components.scheme?.lowercased(), scheme == "smtp" || scheme == "smtps",
                      let host = components.host, !host.isEmpty else {
                    return .failure(.init(message: "expected an smtp:// or smtps:// URL with a host, e.g. smtps://mail.example.com:465"))
                }
                return .success(text)
            },
            username: section.string("username", default: ""),
            password: section.string("password", default: ""),
            from: section.value("from", default: "") { text in
                MailboxAddress(text) == nil
                    ? .failure(.init(message: "expected an address, e.g. sandra@example.com or Sandra <sandra@example.com>, got '\(text)'"))
                    : .success(text)
            },
            startTLS: section.value("starttls", default: .required) { text in
                StartTLSPolicy(rawValue: text.lowercased()).map { .success($0) }
                    ?? .failure(.init(message: "expected one of \(policies), got '\(text)'"))
            },
            caFile: section.value("ca_file", default: "") { text in
                FileManager.default.isReadableFile(atPath: text)
                    ? .success(text)
                    : .failure(.init(message: "cannot read the CA file '\(text)'"))
            },
            connectTimeoutSeconds: section.integer(
                "connect_timeout_seconds", default: IdentityEmailConfiguration.defaultConnectTimeoutSeconds, minimum: 1),
            timeoutSeconds: section.integer("timeout_seconds", default: IdentityEmailConfiguration.defaultTimeoutSeconds, minimum: 1),
            retryDelaySeconds: section.integer(
                "retry_delay_seconds", default: IdentityEmailConfiguration.defaultRetryDelaySeconds, minimum: 1),
            maxSendAttempts: section.integer("max_send_attempts", default: IdentityEmailConfiguration.defaultMaxSendAttempts, minimum: 1)
        )
        email.developmentMailer = section.boolean("development_mailer", default: false)
        if email.usesSMTP, email.from.isEmpty, !section.problems.hasProblem(at: section.path("from")) {
            if let entry = section.entry("from") {
                section.problems.add("must not be empty when smtp_url is set", keyPath: section.path("from"), at: entry.keyNode.mark)
            } else {
                section.problems.add("missing required key 'from' (required when smtp_url is set)",
                                     keyPath: section.path("from"), at: section.anchor)
            }
        }
        return email
    }
}
