/// The `transcription:` section of `channels.yaml`: how voice messages become text.
///
/// | Key | Default | Meaning |
/// |-----|---------|---------|
/// | `type` | `none` | `none` or `openai`. |
/// | `base_url` | (none) | `openai`: required http(s) URL; the client appends `/v1/audio/transcriptions`. |
/// | `api_key` | `""` | Secret; may be empty (local servers). |
/// | `model` | `whisper-1` | The transcription model. |
/// | `language` | `""` | An ISO-639-1 hint such as `en`; empty lets the server detect it. |
/// | `timeout_seconds` | `60` | `> 0`; the deadline of one transcription request. |
struct TranscriptionConfiguration: Sendable, Hashable {
    /// The default `model`.
    static let defaultModel = "whisper-1"
    /// The default `timeout_seconds`.
    static let defaultTimeoutSeconds = 60
    /// The keys of the section.
    static let keys = ["type", "base_url", "api_key", "model", "language", "timeout_seconds"]

    /// What transcribes (`type`).
    var type: TranscriptionType
    /// The server's base URL without a trailing `/` (`base_url`).
    var baseURL: String
    /// The API key (`api_key`); a secret, possibly empty.
    var apiKey: String
    /// The model name (`model`).
    var model: String
    /// The language hint (`language`); empty for none.
    var language: String
    /// The deadline of one request, in seconds (`timeout_seconds`).
    var timeoutSeconds: Int

    /// Creates the section; every value defaults to the documented default.
    /// - Parameters:
    ///   - type: what transcribes.
    ///   - baseURL: the server's base URL.
    ///   - apiKey: the API key.
    ///   - model: the model name.
    ///   - language: the language hint.
    ///   - timeoutSeconds: the deadline of one request.
    init(
        type: TranscriptionType = .none,
        baseURL: String = "",
        apiKey: String = "",
        model: String = defaultModel,
        language: String = "",
        timeoutSeconds: Int = defaultTimeoutSeconds
    ) {
        self.type = type
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.model = model
        self.language = language
        self.timeoutSeconds = timeoutSeconds
    }
}
