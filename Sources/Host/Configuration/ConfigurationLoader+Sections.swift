import ChannelKit
import ChannelMedia
import ChannelPipeline
import Foundation
import Yams

// MARK: - Reading the sections of channels.yaml

extension ConfigurationLoader {
    /// Reads `server:`.
    func readServer(_ section: MappingReader) -> ServerConfiguration {
        section.rejectUnknownKeys(known: ServerConfiguration.keys)
        return ServerConfiguration(
            host: section.string("host", default: ServerConfiguration.defaultHost),
            port: section.integer("port", default: ServerConfiguration.defaultPort, minimum: 0, maximum: 65_535),
            shutdownTimeoutSeconds: section.integer(
                "shutdown_timeout_seconds",
                default: ServerConfiguration.defaultShutdownTimeoutSeconds,
                minimum: 0
            ),
            benchmarkRoutes: section.boolean("benchmark_routes", default: false),
            allowedHosts: section.list("allowed_hosts") { text in
                HostAllowlist.canonicalEntry(text).map { .success($0) }
                    ?? .failure(.init(message: "expected a host name such as sandra.example.com (no scheme, port or path), an IP address, or *"))
            },
            headerTimeoutSeconds: section.integer(
                "header_timeout_seconds", default: ServerConfiguration.defaultHeaderTimeoutSeconds, minimum: 1
            ),
            idleTimeoutSeconds: section.integer(
                "idle_timeout_seconds", default: ServerConfiguration.defaultIdleTimeoutSeconds, minimum: 1
            ),
            maxConnectionsPerClient: section.integer(
                "max_connections_per_client", default: ServerConfiguration.defaultMaxConnectionsPerClient, minimum: 0
            ),
            publicSandbox: section.boolean("public_sandbox", default: false),
            degradedAfterSeconds: section.integer(
                "degraded_after_seconds", default: ServerConfiguration.defaultDegradedAfterSeconds, minimum: 1)
        )
    }

    /// Reads `storage:`.
    func readStorage(_ section: MappingReader) -> StorageConfiguration {
        section.rejectUnknownKeys(known: StorageConfiguration.keys)
        return StorageConfiguration(
            path: section.string("path", default: StorageConfiguration.defaultPath),
            maxSizeMB: section.integer("max_size_mb", default: 0, minimum: 0),
            retentionDays: section.integer("retention_days", default: StorageConfiguration.defaultRetentionDays, minimum: 1),
            postgres: readPostgres(section.section("postgres"))
        )
    }

    /// Reads `storage.postgres:`.
    func readPostgres(_ section: MappingReader) -> PostgresConfiguration {
        section.rejectUnknownKeys(known: PostgresConfiguration.keys)
        let defaults = PostgresConfiguration()
        return PostgresConfiguration(
            url: section.value("url", default: "", PostgresConfiguration.validate),
            poolSize: section.integer("pool_size", default: defaults.poolSize, minimum: 1, maximum: 1000),
            connectTimeoutSeconds: section.integer("connect_timeout_seconds", default: defaults.connectTimeoutSeconds, minimum: 1))
    }

    /// Reads `assistant:`; `openai` requires `base_url` and `model`.
    func readAssistant(_ section: MappingReader) -> AssistantConfiguration {
        section.rejectUnknownKeys(known: AssistantConfiguration.keys)
        let expected = AssistantType.allCases.map(\.rawValue).joined(separator: " or ")
        var assistant = AssistantConfiguration(
            type: section.value("type", default: .echo) { text in
                AssistantType(rawValue: text.lowercased()).map { .success($0) }
                    ?? .failure(.init(message: "unknown assistant type '\(text)'; expected \(expected)"))
            },
            baseURL: section.url("base_url", default: ""),
            apiKey: section.string("api_key", default: ""),
            model: section.string("model", default: ""),
            visionModel: section.string("vision_model", default: ""),
            systemPrompt: section.string("system_prompt", default: AssistantConfiguration.defaultSystemPrompt),
            timeoutSeconds: section.integer(
                "timeout_seconds", default: AssistantConfiguration.defaultTimeoutSeconds, minimum: 1
            ),
            historyTurns: section.integer(
                "history_turns", default: AssistantConfiguration.defaultHistoryTurns, minimum: 0
            ),
            retryWindowSeconds: section.integer(
                "retry_window_seconds", default: AssistantConfiguration.defaultRetryWindowSeconds, minimum: 0
            ),
            holdNoteAfterSeconds: section.integer(
                "hold_note_after_seconds", default: AssistantConfiguration.defaultHoldNoteAfterSeconds, minimum: 0
            ),
            unreadableReply: section.string("unreadable_reply", default: "").trimmingCharacters(in: .whitespacesAndNewlines)
        )
        if assistant.unreadableReply.isEmpty { assistant.unreadableReply = ReadableMessageStep.defaultUnreadableReply }
        assistant.isTypeExplicit = section.isExplicit("type")
        while assistant.baseURL.hasSuffix("/") {
            assistant.baseURL.removeLast()
        }
        if assistant.type == .openai {
            require("base_url", in: section, isEmpty: assistant.baseURL.isEmpty, reason: "when type is openai")
            require("model", in: section, isEmpty: assistant.model.isEmpty, reason: "when type is openai")
        }
        return assistant
    }

    /// Reads `transcription:`; `openai` requires `base_url`.
    func readTranscription(_ section: MappingReader) -> TranscriptionConfiguration {
        section.rejectUnknownKeys(known: TranscriptionConfiguration.keys)
        let expected = TranscriptionType.allCases.map(\.rawValue).joined(separator: " or ")
        var transcription = TranscriptionConfiguration(
            type: section.value("type", default: .none) { text in
                TranscriptionType(rawValue: text.lowercased()).map { .success($0) }
                    ?? .failure(.init(message: "unknown transcription type '\(text)'; expected \(expected)"))
            },
            baseURL: section.url("base_url", default: ""),
            apiKey: section.string("api_key", default: ""),
            model: section.string("model", default: TranscriptionConfiguration.defaultModel),
            language: section.value("language", default: "") { text in
                let isCode = (2...3).contains(text.count) && text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) }
                return isCode ? .success(text) : .failure(.init(message: "expected an ISO-639-1 language code such as en, got '\(text)'"))
            },
            timeoutSeconds: section.integer(
                "timeout_seconds", default: TranscriptionConfiguration.defaultTimeoutSeconds, minimum: 1
            )
        )
        while transcription.baseURL.hasSuffix("/") {
            transcription.baseURL.removeLast()
        }
        if transcription.type == .openai {
            require("base_url", in: section, isEmpty: transcription.baseURL.isEmpty, reason: "when type is openai")
        }
        return transcription
    }

    /// Reads `pipeline:`.
    func readPipeline(_ section: MappingReader) -> PipelineConfiguration {
        section.rejectUnknownKeys(known: PipelineConfiguration.keys)
        var pipeline = PipelineConfiguration(
            maxConcurrentConversations: section.integer(
                "max_concurrent_conversations",
                default: PipelineConfiguration.defaultMaxConcurrentConversations,
                minimum: 1
            ),
            sendAttempts: section.integer("send_attempts", default: PipelineConfiguration.defaultSendAttempts, minimum: 1),
            maxAttempts: section.integer("max_attempts", default: PipelineConfiguration.defaultMaxAttempts, minimum: 1),
            maxMessageAgeSeconds: section.integer(
                "max_message_age_seconds", default: PipelineConfiguration.defaultMaxMessageAgeSeconds, minimum: 1),
            unauthorizedPauseSeconds: section.integer(
                "unauthorized_pause_seconds", default: PipelineConfiguration.defaultUnauthorizedPauseSeconds, minimum: 1),
            typingIndicatorDelayMilliseconds: section.integer(
                "typing_indicator_delay_ms", default: PipelineConfiguration.defaultTypingIndicatorDelayMilliseconds, minimum: 0),
            maxInterruptedClaims: section.integer(
                "max_interrupted_claims", default: PipelineConfiguration.defaultMaxInterruptedClaims, minimum: 0)
        )
        pipeline.leaseSeconds = section.integer("lease_seconds", default: PipelineConfiguration.defaultLeaseSeconds, minimum: 3)
        pipeline.workerID = section.string("worker_id", default: "")
        return pipeline
    }

    /// Reads `channels:`, in file order. Channels with problems are left out (the load fails
    /// anyway), but every one is checked.
    func readChannels(_ section: MappingReader) -> [ChannelConfiguration] {
        section.entries.compactMap { entry in
            readChannel(named: entry.key, in: section)
        }
    }

    /// Reads one channel: its name, its type, the common keys and the type's fields.
    private func readChannel(named name: String, in channels: MappingReader) -> ChannelConfiguration? {
        let problems = channels.problems
        let reader = channels.section(name)
        var isValid = true
        if !ChannelConfiguration.isValidName(name) {
            problems.add(
                "invalid channel name '\(name)': use lowercase letters, digits, '_' and '-', "
                    + "starting with a letter or digit (it becomes part of the webhook URL)",
                keyPath: reader.keyPath,
                at: channels.entry(name)?.keyNode.mark
            )
            isValid = false
        }
        guard reader.isWellFormed else { return nil }

        let factory = channelFactory(in: reader)
        guard let factory else {
            // Without a type the accepted keys are unknown; still check the common ones.
            _ = readCommonKeys(reader, name: name, type: "")
            return nil
        }
        let fields = factory.settingFields.filter { !ChannelConfiguration.commonKeys.contains($0.key) }
        reader.rejectUnknownKeys(known: ChannelConfiguration.commonKeys + fields.map(\.key))
        var channel = readCommonKeys(reader, name: name, type: factory.type)
        channel.fields = fields
        var values: [String: String] = [:]
        for field in fields {
            values[field.key] = reader.value(field.key, default: field.defaultValue ?? "") { text in
                Self.convert(text, to: field).flatMap { value in
                    factory.problem(with: value, forKey: field.key).map { .failure(MappingReader.ValueProblem(message: $0)) } ?? .success(value)
                }
            }
            channel.origins[field.key] = reader.origin(of: field.key)
        }
        channel.settings = ChannelSettings(values)
        return isValid ? channel : nil
    }

    /// Reads `type:` and finds its factory, recording a problem when it is missing or unknown.
    private func channelFactory(in reader: MappingReader) -> (any ChannelFactory)? {
        let registered = registry.types.isEmpty
            ? "no channel types are registered"
            : "registered types: \(registry.types.joined(separator: ", "))"
        let type: String
        let mark: Mark?
        switch reader.lookup("type") {
        case .failed:
            return nil
        case .value(let text, let valueMark, _) where !text.isEmpty:
            type = text
            mark = valueMark
        case .absent, .value:
            if let entry = reader.entry("type") {
                reader.problems.add("must not be empty (\(registered))", keyPath: reader.path("type"), at: entry.keyNode.mark)
            } else {
                reader.problems.add("missing required key 'type' (\(registered))", keyPath: reader.path("type"), at: reader.anchor)
            }
            return nil
        }
        guard let factory = registry.factory(forType: type) else {
            var message = "unknown channel type '\(type)'"
            if let suggestion = KeySuggestion.closest(to: type, among: registry.types) {
                message += "; did you mean '\(suggestion)'?"
            }
            reader.problems.add("\(message) (\(registered))", keyPath: reader.path("type"), at: mark)
            return nil
        }
        return factory
    }

    /// Reads `enabled`, `sandbox` and `max_body_bytes`.
    private func readCommonKeys(_ reader: MappingReader, name: String, type: String) -> ChannelConfiguration {
        ChannelConfiguration(
            name: name,
            type: type,
            enabled: reader.boolean("enabled", default: true),
            sandbox: reader.value("sandbox", default: .auto) { text in
                SandboxMode(configurationValue: text).map { .success($0) }
                    ?? .failure(.init(message: "expected auto, true or false (or on/off, yes/no), got '\(text)'"))
            },
            maxBodyBytes: reader.integer("max_body_bytes", default: ChannelConfiguration.defaultMaxBodyBytes, minimum: 1),
            mediaMaxBytes: reader.integer("media_max_bytes", default: ChannelConfiguration.defaultMediaMaxBytes, minimum: 1),
            mediaTimeoutSeconds: reader.integer(
                "media_timeout_seconds", default: ChannelConfiguration.defaultMediaTimeoutSeconds, minimum: 1),
            mediaAllowedHosts: reader.list("media_allowed_hosts", Self.parseHostPattern),
            mediaAllowHTTPHosts: reader.list("media_allow_http_hosts", Self.parseHostPort)
        )
    }

    /// Checks a media host pattern: a host name or IP address, or `*.` and a domain; no
    /// scheme, port or path.
    static func parseHostPattern(_ text: String) -> Result<String, MappingReader.ValueProblem> {
        let pattern = text.lowercased()
        let name = pattern.hasPrefix("*.") ? String(pattern.dropFirst(2)) : pattern
        let isName = !name.isEmpty && name.contains(where: { $0 != "." }) && !name.hasPrefix(".") && !name.hasSuffix(".")
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "." }
        guard isName else {
            return .failure(.init(message: "expected a host name such as cdn.example.com or *.example.com (no scheme, port or path), got '\(text)'"))
        }
        return .success(pattern)
    }

    /// Checks a `host:port` entry (`127.0.0.1:8080`, `[::1]:8080`, `localhost:9000`).
    static func parseHostPort(_ text: String) -> Result<String, MappingReader.ValueProblem> {
        guard let (host, port) = MediaPolicy.splitHostPort(text), !host.contains("/"), !host.contains("@"), !host.contains("*") else {
            return .failure(.init(message: "expected host:port such as 127.0.0.1:8080, got '\(text)'"))
        }
        return .success(host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
    }

    /// Checks a channel setting against its field's kind and writes it in canonical form.
    static func convert(_ text: String, to field: SettingField) -> Result<String, MappingReader.ValueProblem> {
        switch field.kind {
        case .string:
            .success(text)
        case .integer:
            MappingReader.parseInteger(text, minimum: nil, maximum: nil, isSecret: field.isSecret).map { String($0) }
        case .boolean:
            MappingReader.parseBoolean(text, isSecret: field.isSecret).map { $0 ? "true" : "false" }
        case .url:
            MappingReader.parseURL(text, isSecret: field.isSecret)
        }
    }

    /// Records a problem when a key that `reason` makes required has no value, unless the key
    /// already has a problem.
    private func require(_ key: String, in section: MappingReader, isEmpty: Bool, reason: String) {
        guard isEmpty, !section.problems.hasProblem(at: section.path(key)) else { return }
        if let entry = section.entry(key) {
            section.problems.add("must not be empty \(reason)", keyPath: section.path(key), at: entry.keyNode.mark)
        } else {
            section.problems.add("missing required key '\(key)' (required \(reason))", keyPath: section.path(key), at: section.anchor)
        }
    }
}
