/// The host's whole configuration, as loaded from `channels.yaml` by ``ConfigurationLoader``.
///
/// Every section is optional in the file; absent sections and keys take their defaults, so an
/// empty file gives a host on `127.0.0.1:8080` with the echo assistant and no channels.
///
/// ```yaml
/// server:    { host: 127.0.0.1, port: 8080, shutdown_timeout_seconds: 10 }
/// storage:   { path: ./data/sandra.sqlite }
/// assistant: { type: echo }
/// transcription: { type: none }
/// pipeline:  { max_concurrent_conversations: 64, send_attempts: 5 }
/// identity:  { shared_history: false, email: { smtp_url: "smtps://mail.example.com", from: "sandra@example.com" } }
/// admin:     { password: ${SANDRA_ADMIN_PASSWORD:-} }
/// tracing:   { enabled: false, endpoint: "http://127.0.0.1:4318" }
/// channels:
///   instagram:
///     type: instagram
///     access_token: ${INSTAGRAM_ACCESS_TOKEN}
/// ```
struct HostConfiguration: Sendable, Hashable {
    /// The file the configuration was read from, as given to the loader.
    var sourceFile: String
    /// The `server:` section.
    var server: ServerConfiguration
    /// The `storage:` section.
    var storage: StorageConfiguration
    /// The `assistant:` section.
    var assistant: AssistantConfiguration
    /// The `transcription:` section.
    var transcription: TranscriptionConfiguration
    /// The `pipeline:` section.
    var pipeline: PipelineConfiguration
    /// The `identity:` section.
    var identity: IdentityConfiguration
    /// The `channels:` section, in file order.
    var channels: [ChannelConfiguration]
    /// The `admin:` section.
    var admin: AdminConfiguration = AdminConfiguration()
    /// The `tracing:` section.
    var tracing: TracingConfiguration = TracingConfiguration()
    /// The `handover:` section.
    var handover: HandoverConfiguration = HandoverConfiguration()

    /// The top-level keys of `channels.yaml`.
    static let keys = ["server", "storage", "assistant", "transcription", "pipeline", "identity", "channels", "admin", "tracing", "handover"]

    /// Creates a configuration; every section defaults to its defaults.
    /// - Parameters:
    ///   - sourceFile: the file the configuration came from.
    ///   - server: the `server:` section.
    ///   - storage: the `storage:` section.
    ///   - assistant: the `assistant:` section.
    ///   - transcription: the `transcription:` section.
    ///   - pipeline: the `pipeline:` section.
    ///   - identity: the `identity:` section.
    ///   - channels: the configured channels, in file order.
    init(
        sourceFile: String,
        server: ServerConfiguration = .init(),
        storage: StorageConfiguration = .init(),
        assistant: AssistantConfiguration = .init(),
        transcription: TranscriptionConfiguration = .init(),
        pipeline: PipelineConfiguration = .init(),
        identity: IdentityConfiguration = .init(),
        channels: [ChannelConfiguration] = []
    ) {
        self.sourceFile = sourceFile
        self.server = server
        self.storage = storage
        self.assistant = assistant
        self.transcription = transcription
        self.pipeline = pipeline
        self.identity = identity
        self.channels = channels
    }
}
