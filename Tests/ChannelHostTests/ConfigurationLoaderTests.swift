import ChannelKit
import ChannelPipeline
import Foundation
import Testing

@testable import ChannelHost

/// A channel type with the shape of a Meta channel. The loader only reads its fields.
private struct FakeChannelFactory: ChannelFactory {
    var type = "fake"

    var settingFields: [SettingField] {
        [
            SettingField(key: "access_token", label: "Access Token", isSecret: true, help: "Page token."),
            SettingField(key: "verify_token", label: "Verify Token", isSecret: true, help: "Handshake token."),
            SettingField(key: "api_version", label: "API Version", defaultValue: "v27.0", help: "Graph API version."),
            SettingField(
                key: "graph_api_base_url", label: "Graph API", kind: .url,
                defaultValue: "https://graph.facebook.com", help: "Graph API base URL."
            ),
            SettingField(
                key: "max_message_bytes", label: "Max Message Bytes", kind: .integer,
                defaultValue: "1000", help: "Longest reply."
            ),
        ]
    }

    func makeChannel(name: String, settings: ChannelSettings, context: ChannelContext) throws -> any Channel {
        fatalError("the loader never makes channels")
    }
}

private let registry: ChannelRegistry = {
    var registry = ChannelRegistry()
    registry.register(FakeChannelFactory())
    registry.register(FakeChannelFactory(type: "other"))
    return registry
}()

private func loader(_ environment: [String: String] = [:]) -> ConfigurationLoader {
    ConfigurationLoader(registry: registry, environment: environment)
}

private func load(_ yaml: String, environment: [String: String] = [:]) throws(ConfigurationError) -> HostConfiguration {
    try loader(environment).load(yaml: yaml, file: "channels.yaml")
}

/// The problems loading `yaml` reports; records an issue when it loads.
private func problems(
    _ yaml: String,
    environment: [String: String] = [:],
    sourceLocation: SourceLocation = #_sourceLocation
) -> [ConfigurationProblem] {
    do {
        _ = try load(yaml, environment: environment)
        Issue.record("expected the configuration to be rejected", sourceLocation: sourceLocation)
        return []
    } catch {
        return error.problems
    }
}

/// The settings of a `fake` channel with every default applied.
private func fakeSettings(_ overrides: [String: String] = [:]) -> ChannelSettings {
    var values = [
        "access_token": "",
        "verify_token": "",
        "api_version": "v27.0",
        "graph_api_base_url": "https://graph.facebook.com",
        "max_message_bytes": "1000",
    ]
    values.merge(overrides) { $1 }
    return ChannelSettings(values)
}

@Suite("ConfigurationLoader")
struct ConfigurationLoaderTests {
    // MARK: Defaults and a full file

    @Test("an empty file gives the defaults everywhere and no channels", arguments: ["", "# nothing yet\n", "---\n", "server:\nchannels:\n"])
    func emptyFileGivesDefaults(yaml: String) throws {
        let config = try load(yaml)
        #expect(config == HostConfiguration(sourceFile: "channels.yaml"))
        #expect(config.server.host == "127.0.0.1")
        #expect(config.server.port == 8080)
        #expect(config.server.shutdownTimeoutSeconds == 10)
        #expect(config.server.headerTimeoutSeconds == 10)
        #expect(config.server.idleTimeoutSeconds == 60)
        #expect(config.server.maxConnectionsPerClient == 64)
        #expect(config.storage.path == "./data/sandra.sqlite")
        #expect(config.assistant.type == .echo)
        #expect(config.assistant.timeoutSeconds == 30)
        #expect(config.assistant.historyTurns == 20)
        #expect(config.assistant.systemPrompt == AssistantConfiguration.defaultSystemPrompt)
        #expect(config.pipeline.maxConcurrentConversations == 64)
        #expect(config.pipeline.sendAttempts == 5)
        #expect(config.channels.isEmpty)
    }

    @Test("a file setting every key loads every value")
    func fullValidFile() throws {
        let config = try load("""
            server:
              host: 0.0.0.0
              port: 0
              shutdown_timeout_seconds: 3
            storage:
              path: /var/lib/sandra/db.sqlite
            assistant:
              type: openai
              base_url: http://localhost:11434/
              api_key: ""
              model: llama3
              system_prompt: "Be terse."
              timeout_seconds: 12
              history_turns: 0
            pipeline:
              max_concurrent_conversations: 8
              send_attempts: 1
            channels:
              shop:
                type: fake
                enabled: no
                sandbox: on
                max_body_bytes: 2048
                access_token: abc
                verify_token: xyz
                api_version: v24.0
                graph_api_base_url: http://127.0.0.1:9000
                max_message_bytes: +500
              support-2:
                type: other
            """)
        let expected = HostConfiguration(
            sourceFile: "channels.yaml",
            server: ServerConfiguration(host: "0.0.0.0", port: 0, shutdownTimeoutSeconds: 3),
            storage: StorageConfiguration(path: "/var/lib/sandra/db.sqlite"),
            assistant: {
                var assistant = AssistantConfiguration(
                    type: .openai, baseURL: "http://localhost:11434", apiKey: "", model: "llama3",
                    systemPrompt: "Be terse.", timeoutSeconds: 12, historyTurns: 0
                )
                assistant.isTypeExplicit = true
                return assistant
            }(),
            pipeline: PipelineConfiguration(maxConcurrentConversations: 8, sendAttempts: 1),
            channels: [
                ChannelConfiguration(
                    name: "shop", type: "fake", enabled: false, sandbox: .on, maxBodyBytes: 2048,
                    settings: fakeSettings([
                        "access_token": "abc", "verify_token": "xyz", "api_version": "v24.0",
                        "graph_api_base_url": "http://127.0.0.1:9000", "max_message_bytes": "500",
                    ]),
                    fields: FakeChannelFactory().settingFields
                ),
                ChannelConfiguration(
                    name: "support-2", type: "other", settings: fakeSettings(),
                    fields: FakeChannelFactory(type: "other").settingFields
                ),
            ]
        )
        #expect(config == expected)
    }

    @Test("channels keep their file order")
    func channelsInFileOrder() throws {
        let config = try load("""
            channels:
              zulu: { type: fake }
              alpha: { type: other }
              mike: { type: fake }
            """)
        #expect(config.channels.map(\.name) == ["zulu", "alpha", "mike"])
        #expect(config.channels.map(\.type) == ["fake", "other", "fake"])
    }

    @Test("channels can share settings through an anchor and a merge key")
    func mergeKeys() throws {
        let config = try load(
            """
            channels:
              shop:
                &meta
                type: fake
                api_version: v24.0
                access_token: ${TOKEN}
              blog:
                <<: *meta
                access_token: blog-token
            """,
            environment: ["TOKEN": "shop-token"]
        )
        #expect(config.channels.map(\.name) == ["shop", "blog"])
        #expect(config.channels.map(\.type) == ["fake", "fake"])
        #expect(config.channels.map { $0.settings.values["api_version"] } == ["v24.0", "v24.0"])
        #expect(config.channels.map { $0.settings.values["access_token"] } == ["shop-token", "blog-token"])
    }

    @Test("sandbox accepts auto, true/false, on/off and yes/no", arguments: [
        ("auto", SandboxMode.auto), ("true", .on), ("on", .on), ("Yes", .on),
        ("false", .off), ("OFF", .off), ("no", .off), ("", .auto),
    ])
    func sandboxSpellings(text: String, mode: SandboxMode) throws {
        let config = try load("channels:\n  shop:\n    type: fake\n    sandbox: \(text)\n")
        #expect(config.channels.first?.sandbox == mode)
    }

    // MARK: Interpolation

    @Test("${VAR}, ${VAR:-default} and $$ are replaced, several in one value")
    func interpolation() throws {
        let config = try load(
            """
            server:
              host: ${HOST}
            storage:
              path: ${DATA_DIR:-/tmp}/$${literal}/${NAME}-${EMPTY:-fallback}.sqlite
            assistant:
              system_prompt: "Costs $$5, or $6, and ${SET_EMPTY}${SET_EMPTY:-}."
              model: ${UNSET_MODEL:-}
            channels:
              shop:
                type: fake
                api_version: ${API_VERSION:-v21.0}
                verify_token: ${VERIFY}
            """,
            environment: ["HOST": "10.0.0.1", "NAME": "db", "EMPTY": "", "SET_EMPTY": "", "VERIFY": "v$$1"]
        )
        #expect(config.server.host == "10.0.0.1")
        #expect(config.storage.path == "/tmp/${literal}/db-fallback.sqlite")
        #expect(config.assistant.systemPrompt == "Costs $5, or $6, and .")
        #expect(config.assistant.model == "")
        #expect(config.channels.first?.settings.values["api_version"] == "v21.0")
        // Substituted text is not interpolated again.
        #expect(config.channels.first?.settings.values["verify_token"] == "v$$1")
    }

    @Test("an unset variable is reported with its line, column and key path")
    func unsetVariable() {
        let found = problems("""
            server:
              port: 8080
            channels:
              shop:
                type: fake
                access_token: ${SHOP_TOKEN}
            """)
        #expect(found == [ConfigurationProblem(
            file: "channels.yaml", line: 6, column: 19, keyPath: "channels.shop.access_token",
            message: "environment variable SHOP_TOKEN is not set"
        )])
    }

    @Test("every bad placeholder of a value is reported")
    func badPlaceholders() {
        let found = problems("""
            storage:
              path: ${A}/${B}
            assistant:
              model: ${MODEL:default}
              system_prompt: "unterminated ${PROMPT"
            """)
        #expect(found.map(\.message) == [
            "environment variable A is not set",
            "environment variable B is not set",
            "invalid placeholder '${MODEL:default}'; write ${NAME} or ${NAME:-default}",
            "unterminated '${' (missing '}')",
        ])
        #expect(found.map(\.line) == [2, 2, 4, 5])
    }

    @Test("a port from the environment is decoded as an integer; empty means the default")
    func portFromEnvironment() throws {
        #expect(try load("server:\n  port: ${PORT}\n", environment: ["PORT": "8081"]).server.port == 8081)
        #expect(try load("server:\n  port: ${PORT:-}\n").server.port == 8080)
        #expect(try load("server:\n  port: ${PORT}\n", environment: ["PORT": ""]).server.port == 8080)
        let found = problems("server:\n  port: ${PORT}\n", environment: ["PORT": "eighty"])
        #expect(found.map(\.description) == ["channels.yaml:2:9: server.port: expected a whole number, got 'eighty'"])
    }

    @Test("storage.retention_days defaults to 30, must be at least 1, and keys are kept at least 7 days")
    func retentionDays() throws {
        #expect(try load("server:\n  port: 8080\n").storage.retentionDays == 30)
        #expect(try load("storage:\n  retention_days: 3\n").storage.keyRetentionDays == 7)
        #expect(try load("storage:\n  retention_days: 90\n").storage.keyRetentionDays == 90)
        let found = problems("storage:\n  retention_days: 0\n")
        #expect(found.count == 1 && found.first?.description.contains("storage.retention_days") == true, "\(found)")
    }

    @Test("a secret holding ': #' and a newline stays one value")
    func secretCannotChangeStructure() throws {
        let secret = "a: b # c\nport: 1\n  - x"
        let config = try load(
            """
            assistant:
              api_key: ${KEY}
            channels:
              shop:
                type: fake
                access_token: ${TOKEN}
            """,
            environment: ["KEY": secret, "TOKEN": secret]
        )
        #expect(config.assistant.apiKey == secret)
        #expect(config.server.port == 8080)
        #expect(config.channels.count == 1)
        #expect(config.channels.first?.settings == fakeSettings(["access_token": secret]))
    }

    // MARK: Problems

    @Test("a mistyped key is reported at its line and column with a suggestion")
    func mistypedKey() {
        let yaml = """
            # Sandra channel host
            server:
              port: 8080

            storage:
              path: ./data/sandra.sqlite

            channels:
              instagram:
                type: fake
                sandbox: auto
                acess_token: ${INSTAGRAM_ACCESS_TOKEN:-}
            """
        do {
            _ = try load(yaml)
            Issue.record("expected the configuration to be rejected")
        } catch {
            #expect(error.problems == [ConfigurationProblem(
                file: "channels.yaml", line: 12, column: 5, keyPath: "channels.instagram.acess_token",
                message: "unknown key; did you mean 'access_token'?"
            )])
            #expect(error.description
                == "channels.yaml:12:5: channels.instagram.acess_token: unknown key; did you mean 'access_token'?")
        }
    }

    @Test("a key far from every known key lists the known keys")
    func unknownKeyWithoutSuggestion() {
        let found = problems("pipeline:\n  threads: 3\n")
        #expect(found.map(\.description) == [
            "channels.yaml:2:3: pipeline.threads: unknown key; expected one of: max_concurrent_conversations, send_attempts, max_attempts, max_message_age_seconds, unauthorized_pause_seconds, typing_indicator_delay_ms, max_interrupted_claims, lease_seconds, worker_id",
        ])
    }

    @Test("the assistant's retry window, its note and the pipeline's poison limit: defaults, values, and bounds with file, line and key")
    func outageAndPoisonKeys() throws {
        let defaults = try load("channels: {}\n")
        #expect(defaults.assistant.retryWindowSeconds == 180 && defaults.assistant.holdNoteAfterSeconds == 5)
        #expect(defaults.pipeline.maxInterruptedClaims == 1)
        let set = try load("assistant:\n  retry_window_seconds: 0\n  hold_note_after_seconds: 12\npipeline:\n  max_interrupted_claims: 0\nchannels: {}\n")
        #expect(set.assistant.retryWindowSeconds == 0 && set.assistant.holdNoteAfterSeconds == 12)
        #expect(set.pipeline.maxInterruptedClaims == 0)
        let found = problems("assistant:\n  retry_window_seconds: -1\npipeline:\n  max_interrupted_claims: -2\n")
        #expect(found.map(\.description) == [
            "channels.yaml:2:25: assistant.retry_window_seconds: must be at least 0, got '-1'",
            "channels.yaml:4:27: pipeline.max_interrupted_claims: must be at least 0, got '-2'",
        ])
    }

    @Test("every problem of a file is reported at once, in file order")
    func severalProblems() {
        let found = problems("""
            sever:
              port: 1
            server:
              port: abc
              hots: x
            assistant:
              type: openai
            channels:
              Bad Name:
                type: fake
              shop:
                type: nope
                acces_token: x
            """)
        #expect(found.map(\.keyPath) == [
            "sever",
            "server.port",
            "server.hots",
            "assistant.base_url",
            "assistant.model",
            "channels.Bad Name",
            "channels.shop.type",
        ])
        #expect(found.first?.message == "unknown key; did you mean 'server'?")
        #expect(found.map(\.line) == [1, 4, 5, 7, 7, 9, 12])
    }

    @Test("values of the wrong kind are reported with what was expected")
    func wrongKinds() {
        let found = problems("""
            server:
              port: 70000
              shutdown_timeout_seconds: soon
            storage: ./data
            assistant:
              type: claude
              base_url: ftp://example.com
              timeout_seconds: 0
              history_turns: -1
              model: [a, b]
            pipeline:
              send_attempts: 0
            channels:
              shop:
                type: fake
                enabled: maybe
                sandbox: sometimes
                max_body_bytes: 1MB
                graph_api_base_url: graph.facebook.com
                max_message_bytes: 12x
              broken: yes
            """)
        let byKey = Dictionary(found.map { ($0.keyPath, $0.message) }, uniquingKeysWith: { first, _ in first })
        #expect(byKey == [
            "server.port": "must be between 0 and 65535, got '70000'",
            "server.shutdown_timeout_seconds": "expected a whole number, got 'soon'",
            "storage": "expected a mapping, found a single value",
            "assistant.type": "unknown assistant type 'claude'; expected echo or openai",
            "assistant.base_url": "expected an http:// or https:// URL, got 'ftp://example.com'",
            "assistant.timeout_seconds": "must be at least 1, got '0'",
            "assistant.history_turns": "must be at least 0, got '-1'",
            "assistant.model": "expected a single value, found a list",
            "pipeline.send_attempts": "must be at least 1, got '0'",
            "channels.shop.enabled": "expected true or false, got 'maybe'",
            "channels.shop.sandbox": "expected auto, true or false (or on/off, yes/no), got 'sometimes'",
            "channels.shop.max_body_bytes": "expected a whole number, got '1MB'",
            "channels.shop.graph_api_base_url": "expected an http:// or https:// URL, got 'graph.facebook.com'",
            "channels.shop.max_message_bytes": "expected a whole number, got '12x'",
            "channels.broken": "expected a mapping, found a single value",
        ])
        #expect(found.count == byKey.count)
        #expect(found.first { $0.keyPath == "channels.shop.enabled" }.map { [$0.line, $0.column] } == [16, 14])
    }

    @Test("the connection limits are read from server:; a value out of range names the file, line and key")
    func connectionLimits() throws {
        let config = try load("server:\n  header_timeout_seconds: 5\n  idle_timeout_seconds: 30\n  max_connections_per_client: 0\n")
        #expect(config.server.headerTimeoutSeconds == 5)
        #expect(config.server.idleTimeoutSeconds == 30)
        #expect(config.server.maxConnectionsPerClient == 0)
        let found = problems("server:\n  header_timeout_seconds: 0\n  idle_timeout_seconds: soon\n  max_connections_per_client: -1\n")
        #expect(found.map(\.description) == [
            "channels.yaml:2:27: server.header_timeout_seconds: must be at least 1, got '0'",
            "channels.yaml:3:25: server.idle_timeout_seconds: expected a whole number, got 'soon'",
            "channels.yaml:4:31: server.max_connections_per_client: must be at least 0, got '-1'",
        ])
    }

    @Test("a list of channels (the old format) is rejected with the expected shape")
    func channelsMustBeAMapping() {
        let found = problems("channels:\n  - name: shop\n    type: fake\n")
        #expect(found.map(\.description) == [
            "channels.yaml:2:3: channels: expected a mapping of channel names to their settings, found a list",
        ])
    }

    @Test("an unknown channel type lists the registered types")
    func unknownChannelType() {
        let found = problems("channels:\n  shop:\n    type: fak\n")
        #expect(found.map(\.description) == [
            "channels.yaml:3:11: channels.shop.type: unknown channel type 'fak'; did you mean 'fake'? (registered types: fake, other)",
        ])
    }

    @Test("a channel without a type is reported at its mapping")
    func missingChannelType() {
        let found = problems("channels:\n  shop:\n    enabled: true\n  empty:\n")
        #expect(found.map(\.description) == [
            "channels.yaml:3:5: channels.shop.type: missing required key 'type' (registered types: fake, other)",
            "channels.yaml:4:3: channels.empty.type: missing required key 'type' (registered types: fake, other)",
        ])
    }

    @Test("openai needs base_url and model")
    func openAIRequirements() {
        let found = problems("""
            assistant:
              type: openai
              model: ""
            """)
        #expect(found.map(\.description) == [
            "channels.yaml:2:3: assistant.base_url: missing required key 'base_url' (required when type is openai)",
            "channels.yaml:3:3: assistant.model: must not be empty when type is openai",
        ])
    }

    @Test("channel names must be lowercase letters, digits, '_' and '-'", arguments: [
        "Shop", "-shop", "_shop", "my shop", "shop/1", "shöp", "\"\"",
    ])
    func badChannelName(name: String) {
        let found = problems("channels:\n  \(name):\n    type: fake\n")
        #expect(found.count == 1)
        #expect(found.first?.line == 2)
        #expect(found.first?.column == 3)
        #expect(found.first?.message.hasPrefix("invalid channel name") == true)
    }

    @Test("good channel names load", arguments: ["shop", "0", "my_shop-2", "a-b_c"])
    func goodChannelName(name: String) throws {
        #expect(try load("channels:\n  \(name):\n    type: fake\n").channels.map(\.name) == [name])
    }

    @Test("a duplicate key is reported at the repeated key")
    func duplicateKey() {
        let found = problems("""
            server:
              port: 8080
              host: 0.0.0.0
              port: 9090
            """)
        #expect(found.map(\.description) == ["channels.yaml:4:3: server.port: duplicate key 'port' (first at line 2)"])
    }

    @Test("a duplicate channel is reported at the repeated name")
    func duplicateChannel() {
        let found = problems("""
            channels:
              shop:
                type: fake
                access_token: one

              shop:
                type: other
            """)
        #expect(found.map(\.description) == ["channels.yaml:6:3: channels.shop: duplicate key 'shop' (first at line 2)"])
    }

    @Test("a YAML syntax error is reported at the line Yams gives")
    func yamlSyntaxError() {
        let found = problems("""
            server:
              port: 8080
              host: "127.0.0.1
            storage:
              path: x
            """)
        #expect(found.count == 1)
        // libyaml notices at the end of the stream, and names where the quoted value began.
        #expect(found.first?.line == 5)
        #expect(found.first?.message.hasPrefix("invalid YAML: found unexpected end of stream") == true)
        #expect(found.first?.message.contains("at line 3, column 9") == true)
        #expect(found.first?.description.contains("\n") == false)

        let badIndent = problems("server:\n  port: 8080\n host: x\n")
        #expect(badIndent.count == 1)
        #expect(badIndent.first?.line == 3)
        #expect(badIndent.first?.message.hasPrefix("invalid YAML:") == true)
    }

    @Test("a missing file is an error naming the path; a present one loads")
    func loadFromPath() throws {
        let missing = "/nonexistent-\(UUID().uuidString)/channels.yaml"
        do {
            _ = try loader().load(path: missing)
            Issue.record("expected the missing file to be reported")
        } catch {
            #expect(error.problems.count == 1)
            #expect(error.problems.first?.file == missing)
            #expect(error.description == "\(missing): cannot read the configuration file '\(missing)': no such file")
        }

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("channels-\(UUID().uuidString).yaml").path
        try "server:\n  port: 9999\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = try loader().load(path: path)
        #expect(config.sourceFile == path)
        #expect(config.server.port == 9999)
    }

    // MARK: Effective configuration

    @Test("renderEffective masks every secret and never prints one")
    func renderMasksSecrets() throws {
        let config = try load(
            """
            assistant:
              api_key: ${API_KEY}
            channels:
              shop:
                type: fake
                access_token: ${TOKEN}
              blog:
                type: fake
                verify_token: "plain-verify-secret"
            """,
            environment: ["API_KEY": "sk-live-123", "TOKEN": "EAAB-token-456"]
        )
        let text = loader().renderEffective(config)
        #expect(!text.contains("sk-live-123"))
        #expect(!text.contains("EAAB-token-456"))
        #expect(!text.contains("plain-verify-secret"))
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.contains("api_key: \"********\""))
        #expect(lines.filter { $0 == "api_key: \"\"" }.count == 1)   // transcription.api_key, empty
        #expect(lines.filter { $0 == "access_token: \"********\"" }.count == 1)
        #expect(lines.filter { $0 == "access_token: \"\"" }.count == 1)
        #expect(lines.filter { $0 == "verify_token: \"********\"" }.count == 1)
        #expect(lines.filter { $0 == "verify_token: \"\"" }.count == 1)
        #expect(lines.contains("api_version: \"v27.0\""))
    }

    @Test("loading renderEffective's output gives the same configuration, secrets masked")
    func renderRoundTrip() throws {
        let original = try load(
            """
            server:
              host: "::1"
              port: 0
            storage:
              path: "/data/$$HOME/sandra # main.sqlite"
            assistant:
              type: openai
              base_url: https://api.example.com/
              api_key: ${API_KEY}
              model: "null"
              system_prompt: ${PROMPT}
              history_turns: 0
            channels:
              shop:
                type: fake
                enabled: off
                sandbox: yes
                access_token: ${TOKEN}
                api_version: "true"
                max_message_bytes: "0042"
              blog:
                type: other
                sandbox: no
            """,
            environment: [
                "API_KEY": "sk-123",
                "TOKEN": "t: #\n$x",
                "PROMPT": "Line one: \"quoted\" \\ back\nLine two\t${NOT_A_VAR} $$ \u{1F600}\u{2028}end  ",
            ]
        )
        let text = loader().renderEffective(original)
        let reloaded = try loader().load(yaml: text, file: "channels.yaml")

        var expected = original
        expected.assistant.apiKey = "********"
        expected.channels[0].settings.values["access_token"] = "********"
        #expect(reloaded == expected)
        #expect(reloaded.assistant.systemPrompt == original.assistant.systemPrompt)
        #expect(reloaded.channels.first?.settings.values["max_message_bytes"] == "42")

        let defaults = HostConfiguration(sourceFile: "channels.yaml")
        // The rendered file writes the assistant's type, so reloading it is a choice.
        var chosen = defaults
        chosen.assistant.isTypeExplicit = true
        #expect(try loader().load(yaml: loader().renderEffective(defaults), file: "channels.yaml") == chosen)
    }

    // MARK: Media and transcription

    @Test("media keys and the transcription section load; host lists take a YAML list or a comma-separated value")
    func mediaAndTranscription() throws {
        let config = try load(
            """
            assistant:
              type: openai
              base_url: https://api.openai.com
              model: gpt-4o-mini
              vision_model: gpt-4o
            transcription:
              type: OpenAI
              base_url: http://127.0.0.1:9000/
              api_key: ${WHISPER_KEY}
              model: large-v3
              language: de
              timeout_seconds: 90
            channels:
              shop:
                type: fake
                media_max_bytes: 1048576
                media_timeout_seconds: 5
                media_allowed_hosts: [media.example.com, "*.CDN.example.net", media.example.com]
                media_allow_http_hosts: ["127.0.0.1:9100", "[::1]:9200", "LocalHost:9300"]
              blog:
                type: fake
                media_allowed_hosts: ${MEDIA_HOSTS}
            """,
            environment: ["WHISPER_KEY": "sk-w", "MEDIA_HOSTS": " a.example.com, *.b.example.com ,,"]
        )
        #expect(config.assistant.visionModel == "gpt-4o")
        #expect(config.assistant.effectiveVisionModel == "gpt-4o")
        #expect(config.transcription == TranscriptionConfiguration(
            type: .openai, baseURL: "http://127.0.0.1:9000", apiKey: "sk-w", model: "large-v3", language: "de", timeoutSeconds: 90))
        let shop = try #require(config.channels.first)
        #expect(shop.mediaMaxBytes == 1_048_576)
        #expect(shop.mediaTimeoutSeconds == 5)
        #expect(shop.mediaAllowedHosts == ["media.example.com", "*.cdn.example.net"])
        #expect(shop.mediaAllowHTTPHosts == ["127.0.0.1:9100", "[::1]:9200", "localhost:9300"])
        #expect(config.channels.last?.mediaAllowedHosts == ["a.example.com", "*.b.example.com"])
        #expect(config.channels.last?.mediaMaxBytes == 26_214_400)
        #expect(config.channels.last?.mediaTimeoutSeconds == 30)
    }

    @Test("media and transcription defaults: no transcription, the chat model for images, 25 MB")
    func mediaDefaults() throws {
        let config = try load("assistant:\n  model: m\nchannels:\n  shop:\n    type: fake\n")
        #expect(config.transcription == TranscriptionConfiguration())
        #expect(config.transcription.type == TranscriptionType.none)
        #expect(config.transcription.model == "whisper-1")
        #expect(config.assistant.effectiveVisionModel == "m")
        #expect(config.channels.first?.mediaMaxBytes == 25 * 1024 * 1024)
        #expect(config.channels.first?.mediaAllowedHosts == [])
    }

    @Test("bad media entries and transcription values are reported at their own positions")
    func badMediaValues() {
        let found = problems("""
            transcription:
              type: whisper
              base_url: whisper.local
              language: English
              timeout_seconds: 0
              modle: x
            channels:
              shop:
                type: fake
                media_max_bytes: 0
                media_allowed_hosts: [https://cdn.example.com, ok.example.com, "cdn.example.com:443", "*", [nested]]
                media_allow_http_hosts: "127.0.0.1, localhost:99999, 127.0.0.1:8080"
              blog:
                type: fake
                media_allowed_hosts: { a: b }
            """)
        #expect(found.map(\.description) == [
            "channels.yaml:2:9: transcription.type: unknown transcription type 'whisper'; expected none or openai",
            "channels.yaml:3:13: transcription.base_url: expected an http:// or https:// URL, got 'whisper.local'",
            "channels.yaml:4:13: transcription.language: expected an ISO-639-1 language code such as en, got 'English'",
            "channels.yaml:5:20: transcription.timeout_seconds: must be at least 1, got '0'",
            "channels.yaml:6:3: transcription.modle: unknown key; did you mean 'model'?",
            "channels.yaml:10:22: channels.shop.media_max_bytes: must be at least 1, got '0'",
            "channels.yaml:11:27: channels.shop.media_allowed_hosts: expected a host name such as cdn.example.com or *.example.com (no scheme, port or path), got 'https://cdn.example.com'",
            "channels.yaml:11:68: channels.shop.media_allowed_hosts: expected a host name such as cdn.example.com or *.example.com (no scheme, port or path), got 'cdn.example.com:443'",
            "channels.yaml:11:91: channels.shop.media_allowed_hosts: expected a host name such as cdn.example.com or *.example.com (no scheme, port or path), got '*'",
            "channels.yaml:11:96: channels.shop.media_allowed_hosts: expected a list of single values, found a list in it",
            "channels.yaml:12:29: channels.shop.media_allow_http_hosts: expected host:port such as 127.0.0.1:8080, got '127.0.0.1'",
            "channels.yaml:12:29: channels.shop.media_allow_http_hosts: expected host:port such as 127.0.0.1:8080, got 'localhost:99999'",
            "channels.yaml:15:26: channels.blog.media_allowed_hosts: expected a list or a comma-separated value, found a mapping",
        ])
    }

    @Test("openai transcription needs base_url")
    func transcriptionRequirements() {
        let found = problems("transcription:\n  type: openai\n")
        #expect(found.map(\.description) == [
            "channels.yaml:2:3: transcription.base_url: missing required key 'base_url' (required when type is openai)",
        ])
    }

    @Test("the effective configuration prints media keys and the transcription section, its key masked, and loads back")
    func renderMediaRoundTrip() throws {
        let original = try load(
            """
            assistant: { vision_model: "gpt-4o" }
            transcription: { type: openai, base_url: "http://whisper:8000", api_key: "${KEY}", language: en }
            channels:
              shop:
                type: fake
                media_allowed_hosts: ["media.example.com", "*.cdn.example.net"]
                media_allow_http_hosts: 127.0.0.1:9100
                media_max_bytes: 1000
              blog:
                type: other
            """,
            environment: ["KEY": "sk-whisper-secret"]
        )
        let text = loader().renderEffective(original)
        #expect(!text.contains("sk-whisper-secret"))
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.contains("media_allowed_hosts: [\"media.example.com\", \"*.cdn.example.net\"]"))
        #expect(lines.contains("media_allow_http_hosts: [\"127.0.0.1:9100\"]"))
        #expect(lines.filter { $0 == "media_allowed_hosts: []" }.count == 1)
        #expect(lines.contains("vision_model: \"gpt-4o\""))
        var expected = original
        expected.transcription.apiKey = "********"
        expected.assistant.isTypeExplicit = true  // the output writes the assistant's type
        #expect(try loader().load(yaml: text, file: "channels.yaml") == expected)
    }

    // MARK: Identity linking

    @Test("identity: the defaults, and a section setting every key")
    func identitySection() throws {
        let defaults = try load("")
        #expect(defaults.identity == IdentityConfiguration())
        #expect(defaults.identity.enabled && !defaults.identity.sharedHistory)
        #expect(defaults.identity.codeTTLSeconds == 600 && defaults.identity.maxAttempts == 5)
        #expect(defaults.identity.maxCodesPerUserPerHour == 5 && defaults.identity.maxCodesPerEmailPerHour == 5)
        #expect(!defaults.identity.email.usesSMTP && defaults.identity.email.startTLS == .required)

        let caFile = makeTemporaryDirectory() + "/ca.pem"
        try "not checked for content".write(toFile: caFile, atomically: true, encoding: .utf8)
        let config = try load("""
            identity:
              enabled: false
              code_ttl_seconds: 300
              max_attempts: 3
              max_codes_per_user_per_hour: 2
              max_codes_per_email_per_hour: 4
              shared_history: yes
              email:
                smtp_url: ${SMTP_URL}
                username: sandra
                password: ${SMTP_PASSWORD}
                from: "Sandra <sandra@example.com>"
                starttls: optional
                ca_file: \(caFile)
                connect_timeout_seconds: 3
                timeout_seconds: 9
                retry_delay_seconds: 5
                max_send_attempts: 2
            """, environment: ["SMTP_URL": "smtp://mail.example.com:587", "SMTP_PASSWORD": "p@ss: #word"])
        #expect(config.identity == IdentityConfiguration(
            enabled: false, codeTTLSeconds: 300, maxAttempts: 3, maxCodesPerUserPerHour: 2, maxCodesPerEmailPerHour: 4,
            sharedHistory: true,
            email: IdentityEmailConfiguration(
                smtpURL: "smtp://mail.example.com:587", username: "sandra", password: "p@ss: #word",
                from: "Sandra <sandra@example.com>", startTLS: .optional, caFile: caFile, connectTimeoutSeconds: 3,
                timeoutSeconds: 9, retryDelaySeconds: 5, maxSendAttempts: 2)))
    }

    @Test("identity: bad values are reported, and a URL's credentials are never repeated")
    func identityProblems() {
        let found = problems("""
            identity:
              code_ttl_seconds: 0
              shared_histroy: true
              email:
                smtp_url: "https://user:hunter2@mail.example.com"
                from: "not an address"
                starttls: maybe
                ca_file: /no/such/ca.pem
            """)
        let byKey = Dictionary(grouping: found, by: \.keyPath)
        #expect(byKey["identity.code_ttl_seconds"]?.first?.message.contains("at least 1") == true)
        #expect(byKey["identity.shared_histroy"]?.first?.message.contains("did you mean 'shared_history'") == true)
        #expect(byKey["identity.email.smtp_url"]?.first?.message.contains("smtp:// or smtps://") == true)
        #expect(byKey["identity.email.from"]?.first?.message.contains("expected an address") == true)
        #expect(byKey["identity.email.starttls"]?.first?.message.contains("required, optional, off") == true)
        #expect(byKey["identity.email.ca_file"]?.first?.message.contains("cannot read") == true)
        #expect(!found.contains { $0.message.contains("hunter2") }, "the URL's password is never printed")
        #expect(found.allSatisfy { $0.line > 0 })

        let missingFrom = problems("identity:\n  email:\n    smtp_url: smtps://mail.example.com\n")
        #expect(missingFrom.map(\.keyPath) == ["identity.email.from"])
        #expect(missingFrom.first?.message.contains("required when smtp_url is set") == true)
    }

    @Test("identity: the effective configuration masks the SMTP password, in its key and in the URL")
    func identityRender() throws {
        let config = try load("""
            identity:
              shared_history: true
              email:
                smtp_url: smtps://sandra:url-secret@mail.example.com:465
                username: sandra
                password: ${PASSWORD}
                from: sandra@example.com
            """, environment: ["PASSWORD": "key-secret"])
        let text = loader().renderEffective(config)
        #expect(!text.contains("url-secret") && !text.contains("key-secret"))
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.contains("password: \"********\""))
        #expect(lines.contains("smtp_url: \"smtps://sandra:********@mail.example.com:465\""))
        #expect(lines.contains("shared_history: true"))
        var expected = config
        expected.identity.email.password = "********"
        expected.assistant.isTypeExplicit = true  // the output writes the assistant's type
        expected.identity.email.smtpURL = "smtps://sandra:********@mail.example.com:465"
        #expect(try loader().load(yaml: text, file: "channels.yaml") == expected, "the output loads back")
    }

    // MARK: Helpers

    @Test("key suggestions allow a few edits, counting a swap as one")
    func keySuggestions() {
        #expect(KeySuggestion.closest(to: "prot", among: ServerConfiguration.keys) == "port")
        #expect(KeySuggestion.closest(to: "Host", among: ServerConfiguration.keys) == "host")
        #expect(KeySuggestion.closest(to: "shutdown_timeout", among: ServerConfiguration.keys) == "shutdown_timeout_seconds")
        #expect(KeySuggestion.closest(to: "name", among: ["type", "enabled"]) == nil)
    }
}

@Suite("ConfigurationLoader: admin and setting origins")
struct AdminConfigurationTests {
    @Test("the admin section is checked where it is written: short password, short token, bad key, password and hash together")
    func adminProblems() throws {
        let found = problems("""
            admin:
              password: short
              api_token: also-short
              secret_key: not-a-key
            """)
        #expect(found.map(\.keyPath) == ["admin.password", "admin.api_token", "admin.secret_key"])
        #expect(found.map(\.line) == [2, 3, 4])
        #expect(found.first?.message == "must be at least 12 characters")
        #expect(!found.map(\.message).joined().contains("short"), "the secret's text is not repeated")

        let hash = try PasswordHash.make(password: "correct horse battery staple", rounds: 1 << 10).encoded
        let both = problems("admin:\n  password: correct horse battery staple\n  password_hash: \"\(hash)\"\n")
        #expect(both.map(\.message) == ["set either password or password_hash, not both"])

        let loaded = try load("admin:\n  password_hash: \"\(hash)\"\n  secret_key: \(String(repeating: "ab", count: 32))\n")
        #expect(loaded.admin.portalEnabled)
        #expect(PasswordHash(encoded: loaded.admin.passwordHash)?.verify("correct horse battery staple") == true)
        #expect(PasswordHash(encoded: loaded.admin.passwordHash)?.verify("correct horse battery stapler") == false)
    }

    @Test("trusted proxies are addresses or CIDR blocks, as a list or comma-separated; a bad one is named with its line")
    func trustedProxies() throws {
        let listed = try load("admin:\n  trusted_proxies: [127.0.0.1, \"10.0.0.0/8\", \"fd00::/8\"]\n")
        #expect(listed.admin.trustedProxies == ["127.0.0.1", "10.0.0.0/8", "fd00::/8"])
        let fromVariable = try load("admin:\n  trusted_proxies: ${PROXIES:-}\n", environment: ["PROXIES": "192.0.2.7, 198.51.100.0/24"])
        #expect(fromVariable.admin.trustedProxies == ["192.0.2.7", "198.51.100.0/24"])
        #expect(try load("admin:\n  trusted_proxies: ${PROXIES:-}\n").admin.trustedProxies.isEmpty)
        let found = problems("admin:\n  trusted_proxies: [127.0.0.1, \"10.0.0.0/33\", proxy.example]\n")
        #expect(found.count == 2)
        #expect(found.allSatisfy { $0.keyPath == "admin.trusted_proxies" && $0.line == 2 })
        #expect(found.first?.message.contains("CIDR") == true)
    }

    @Test("each channel setting knows where its value comes from: the variable its placeholder names, the file's line, or the default")
    func origins() throws {
        let yaml = """
            channels:
              shop:
                type: fake
                access_token: ${SHOP_TOKEN:-}
                verify_token: ${SHOP_VERIFY:-from-the-file}
                api_version: v24.0
            """
        let withVariable = try load(yaml, environment: ["SHOP_TOKEN": "t0ken"]).channels[0].origins
        #expect(withVariable["access_token"] == .environment(variable: "SHOP_TOKEN"))
        #expect(withVariable["verify_token"] == .file(path: "channels.yaml", line: 5))
        #expect(withVariable["api_version"] == .file(path: "channels.yaml", line: 6))
        #expect(withVariable["max_message_bytes"] == .fieldDefault)
        let unset = try load(yaml, environment: ["SHOP_TOKEN": ""]).channels[0].origins
        #expect(unset["access_token"] == .fieldDefault, "an empty variable gives nothing")
        #expect(SettingOrigin.environment(variable: "SHOP_TOKEN").label == "environment (SHOP_TOKEN)")
    }
}
