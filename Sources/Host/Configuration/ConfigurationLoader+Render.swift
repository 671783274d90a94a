import ChannelKit
import Foundation

// MARK: - Printing the effective configuration (`sandra check-config`)

extension ConfigurationLoader {
    /// The text that replaces a non-empty secret.
    static let secretMask = "********"

    /// The effective configuration as `channels.yaml` text: every key with its value, defaults
    /// included, secrets masked.
    ///
    /// Secrets (``SettingField/isSecret`` fields, `assistant.api_key`, `transcription.api_key`,
    /// `identity.email.password` and a password inside `identity.email.smtp_url` or `storage.postgres.url`) print as
    /// `"********"` when set and `""` when empty; their values never appear. Text is double-quoted with `$`
    /// written as `$$`, so loading the output gives an equal configuration except for the
    /// masked secrets.
    /// - Parameter config: a loaded configuration.
    /// - Returns: YAML text ending with a newline.
    func renderEffective(_ config: HostConfiguration) -> String {
        var lines: [String] = [
            "# Effective configuration from \(Self.commentSafe(config.sourceFile)); secrets are masked.",
            "server:",
            "  host: \(Self.quoted(config.server.host))",
            "  port: \(config.server.port)",
            "  shutdown_timeout_seconds: \(config.server.shutdownTimeoutSeconds)",
            "  benchmark_routes: \(config.server.benchmarkRoutes)",
            "  allowed_hosts: \(Self.list(config.server.allowedHosts))",
            "  header_timeout_seconds: \(config.server.headerTimeoutSeconds)",
            "  idle_timeout_seconds: \(config.server.idleTimeoutSeconds)",
            "  max_connections_per_client: \(config.server.maxConnectionsPerClient)",
            "  public_sandbox: \(config.server.publicSandbox)",
            "  degraded_after_seconds: \(config.server.degradedAfterSeconds)",
            "storage:",
            "  path: \(Self.quoted(config.storage.path))",
            "  max_size_mb: \(config.storage.maxSizeMB)",
            "  retention_days: \(config.storage.retentionDays)",
            "  postgres:",
            "    url: \(Self.quoted(Self.withoutPassword(config.storage.postgres.url)))",
            "    pool_size: \(config.storage.postgres.poolSize)",
            "    connect_timeout_seconds: \(config.storage.postgres.connectTimeoutSeconds)",
            "assistant:",
            "  type: \(config.assistant.type.rawValue)",
            "  base_url: \(Self.quoted(config.assistant.baseURL))",
            "  api_key: \(Self.masked(config.assistant.apiKey))",
            "  model: \(Self.quoted(config.assistant.model))",
            "  vision_model: \(Self.quoted(config.assistant.visionModel))",
            "  system_prompt: \(Self.quoted(config.assistant.systemPrompt))",
            "  timeout_seconds: \(config.assistant.timeoutSeconds)",
            "  history_turns: \(config.assistant.historyTurns)",
            "  retry_window_seconds: \(config.assistant.retryWindowSeconds)",
            "  hold_note_after_seconds: \(config.assistant.holdNoteAfterSeconds)",
            "  unreadable_reply: \(Self.quoted(config.assistant.unreadableReply))",
            "transcription:",
            "  type: \(config.transcription.type.rawValue)",
            "  base_url: \(Self.quoted(config.transcription.baseURL))",
            "  api_key: \(Self.masked(config.transcription.apiKey))",
            "  model: \(Self.quoted(config.transcription.model))",
            "  language: \(Self.quoted(config.transcription.language))",
            "  timeout_seconds: \(config.transcription.timeoutSeconds)",
            "pipeline:",
            "  max_concurrent_conversations: \(config.pipeline.maxConcurrentConversations)",
            "  send_attempts: \(config.pipeline.sendAttempts)",
            "  max_attempts: \(config.pipeline.maxAttempts)",
            "  max_message_age_seconds: \(config.pipeline.maxMessageAgeSeconds)",
            "  unauthorized_pause_seconds: \(config.pipeline.unauthorizedPauseSeconds)",
            "  typing_indicator_delay_ms: \(config.pipeline.typingIndicatorDelayMilliseconds)",
            "  max_interrupted_claims: \(config.pipeline.maxInterruptedClaims)",
            "  lease_seconds: \(config.pipeline.leaseSeconds)",
            "  worker_id: \(Self.quoted(config.pipeline.workerID))",
            "identity:",
            "  enabled: \(config.identity.enabled)",
            "  code_ttl_seconds: \(config.identity.codeTTLSeconds)",
            "  max_attempts: \(config.identity.maxAttempts)",
            "  max_codes_per_user_per_hour: \(config.identity.maxCodesPerUserPerHour)",
            "  max_codes_per_email_per_hour: \(config.identity.maxCodesPerEmailPerHour)",
            "  shared_history: \(config.identity.sharedHistory)",
            "  email:",
            "    smtp_url: \(Self.quoted(Self.withoutPassword(config.identity.email.smtpURL)))",
            "    username: \(Self.quoted(config.identity.email.username))",
            "    password: \(Self.masked(config.identity.email.password))",
            "    from: \(Self.quoted(config.identity.email.from))",
            "    starttls: \(config.identity.email.startTLS.rawValue)",
            "    ca_file: \(Self.quoted(config.identity.email.caFile))",
            "    connect_timeout_seconds: \(config.identity.email.connectTimeoutSeconds)",
            "    timeout_seconds: \(config.identity.email.timeoutSeconds)",
            "    retry_delay_seconds: \(config.identity.email.retryDelaySeconds)",
            "    max_send_attempts: \(config.identity.email.maxSendAttempts)",
            "    development_mailer: \(config.identity.email.developmentMailer)",
        ]
        let admin = config.admin
        lines += [
            "admin:",
            "  password: \(Self.masked(admin.password))",
            "  password_hash: \(Self.masked(admin.passwordHash))",
            "  api_token: \(Self.masked(admin.apiToken))",
            "  secret_key: \(Self.masked(admin.secretKey))",
            "  secret_key_file: \(Self.quoted(admin.secretKeyFile))",
            "  public_base_url: \(Self.quoted(admin.publicBaseURL))",
            "  cookie_secure: \(admin.cookieSecure)",
            "  session_idle_minutes: \(admin.sessionIdleMinutes)",
            "  session_max_hours: \(admin.sessionMaxHours)",
            "  max_failed_logins: \(admin.maxFailedLogins)",
            "  lockout_minutes: \(admin.lockoutMinutes)",
            "  trusted_proxies: \(Self.list(admin.trustedProxies))",
            "tracing:",
            "  enabled: \(config.tracing.enabled)",
            "  endpoint: \(Self.quoted(config.tracing.endpoint))",
            "  protocol: \(config.tracing.wireProtocol.rawValue)",
            "  service_name: \(Self.quoted(config.tracing.serviceName))",
            "  sample_ratio: \(config.tracing.sampleRatio)",
        ]
        if config.channels.isEmpty {
            lines.append("channels: {}")
        } else {
            lines.append("channels:")
        }
        for channel in config.channels {
            lines.append("  \(Self.key(channel.name)):")
            lines.append("    type: \(Self.quoted(channel.type))")
            lines.append("    enabled: \(channel.enabled)")
            lines.append("    sandbox: \(channel.sandbox.configurationValue)")
            lines.append("    max_body_bytes: \(channel.maxBodyBytes)")
            lines.append("    media_max_bytes: \(channel.mediaMaxBytes)")
            lines.append("    media_timeout_seconds: \(channel.mediaTimeoutSeconds)")
            lines.append("    media_allowed_hosts: \(Self.list(channel.mediaAllowedHosts))")
            lines.append("    media_allow_http_hosts: \(Self.list(channel.mediaAllowHTTPHosts))")
            for field in channel.fields {
                let value = channel.settings.values[field.key] ?? ""
                lines.append("    \(Self.key(field.key)): \(Self.rendered(value, of: field))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A setting's value as YAML: masked when secret, plain when a canonical number or boolean.
    private static func rendered(_ value: String, of field: SettingField) -> String {
        if field.isSecret {
            return masked(value)
        }
        switch field.kind {
        case .integer where Int(value).map(String.init) == value:
            return value
        case .boolean where value == "true" || value == "false":
            return value
        default:
            return quoted(value)
        }
    }

    /// A flow sequence of quoted values: `["a", "b"]`, `[]`.
    private static func list(_ items: [String]) -> String {
        "[" + items.map { quoted($0) }.joined(separator: ", ") + "]"
    }

    /// A URL with the password it may carry (`smtps://user:secret@host`) masked.
    private static func withoutPassword(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = secretMask
        return components.string ?? url
    }

    /// `"********"` for a non-empty secret, `""` for an empty one.
    private static func masked(_ secret: String) -> String {
        secret.isEmpty ? "\"\"" : "\"\(secretMask)\""
    }

    /// A key, plain when it is made of letters, digits, `_` and `-`, quoted otherwise.
    private static func key(_ key: String) -> String {
        let isPlain = !key.isEmpty && key.first != "-" && key.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || scalar == "_" || scalar == "-"
        }
        // Keys are not interpolated, so no `$$` here.
        return isPlain ? key : quoted(key, escapingDollars: false)
    }

    /// A double-quoted YAML scalar; `$` becomes `$$` so that loading does not interpolate it.
    private static func quoted(_ text: String, escapingDollars: Bool = true) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "$" where escapingDollars: result += "$$"
            default:
                if needsEscape(scalar) {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    result += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// Control characters, YAML line separators and the byte-order mark.
    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F...0x9F, 0x2028, 0x2029, 0xFEFF: true
        default: false
        }
    }

    /// `text` fit for a `#` comment: line breaks become spaces.
    private static func commentSafe(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
