import ChannelKit
import ChannelPipeline

/// The `assistant:` section of `channels.yaml`: what answers the messages.
///
/// | Key | Default | Meaning |
/// |-----|---------|---------|
/// | `type` | `echo` | `echo` or `openai`. |
/// | `base_url` | (none) | `openai`: required http(s) URL; the client appends `/v1/chat/completions`. |
/// | `api_key` | `""` | Secret; may be empty (Ollama). |
/// | `model` | (none) | `openai`: required. |
/// | `vision_model` | `""` | The model for turns with images; empty means `model`. |
/// | `system_prompt` | ``defaultSystemPrompt`` | The instructions sent before the conversation. |
/// | `timeout_seconds` | `30` | `> 0`; the deadline of one completion request. |
/// | `history_turns` | `20` | `>= 0`; how many earlier turns the assistant sees. |
/// | `retry_window_seconds` | `180` | `>= 0`; while the assistant is down (5xx, 429, refused, timeouts) the message waits and is retried this long after it arrived; then the apology. |
/// | `hold_note_after_seconds` | `5` | `>= 0`; a wait for the assistant longer than this gets one "one moment" note. |
/// | `unreadable_reply` | ``ReadableMessageStep/defaultUnreadableReply`` | The answer to a message with nothing Sandra can read; empty means the default. |
///
/// A channel that talks to a real platform refuses to start with the echo assistant unless
/// `type: echo` is written in the file or set through an environment variable that is set
/// (``isTypeExplicit``): a placeholder's default does not put customers in front of an echo.
struct AssistantConfiguration: Sendable, Hashable {
    /// The default `system_prompt`.
    static let defaultSystemPrompt =
        "You are Sandra, a friendly assistant answering people in a chat app. Reply briefly and plainly."
    /// The default `timeout_seconds`.
    static let defaultTimeoutSeconds = 30
    /// The default `history_turns`.
    static let defaultHistoryTurns = 20
    /// The default `retry_window_seconds`.
    static let defaultRetryWindowSeconds = 180
    /// The default `hold_note_after_seconds`.
    static let defaultHoldNoteAfterSeconds = 5
    /// The keys of the section.
    static let keys = ["type", "base_url", "api_key", "model", "vision_model", "system_prompt", "timeout_seconds", "history_turns",
                       "retry_window_seconds", "hold_note_after_seconds",
                       "unreadable_reply"]

    /// Which assistant answers (`type`).
    var type: AssistantType
    /// The API's base URL without a trailing `/` (`base_url`); empty for `echo`.
    var baseURL: String
    /// The API key (`api_key`); a secret, possibly empty.
    var apiKey: String
    /// The model name (`model`); empty for `echo`.
    var model: String
    /// The model for turns with images (`vision_model`); empty means ``model``.
    var visionModel: String
    /// The instructions sent before the conversation (`system_prompt`).
    var systemPrompt: String
    /// The deadline of one completion request, in seconds (`timeout_seconds`).
    var timeoutSeconds: Int
    /// How many earlier turns the assistant sees (`history_turns`).
    var historyTurns: Int
    /// How long after a message arrived an assistant that is down is retried (`retry_window_seconds`).
    var retryWindowSeconds: Int
    /// A wait for the assistant longer than this gets one "one moment" note (`hold_note_after_seconds`).
    var holdNoteAfterSeconds: Int
    /// The answer to a message with nothing Sandra can read, in Markdown (`unreadable_reply`).
    var unreadableReply: String
    /// Whether the operator chose ``type``: written in the file, or from a set environment
    /// variable — not an absent key nor a placeholder's default.
    var isTypeExplicit = false

    /// Creates the section; every value defaults to the documented default.
    /// - Parameters:
    ///   - type: which assistant answers.
    ///   - baseURL: the API's base URL.
    ///   - apiKey: the API key.
    ///   - model: the model name.
    ///   - visionModel: the model for turns with images; empty means `model`.
    ///   - systemPrompt: the instructions sent before the conversation.
    ///   - timeoutSeconds: the deadline of one completion request.
    ///   - historyTurns: how many earlier turns the assistant sees.
    ///   - retryWindowSeconds: how long after a message arrived an assistant that is down is retried.
    ///   - holdNoteAfterSeconds: a wait for the assistant longer than this gets one "one moment" note.
    ///   - unreadableReply: the answer to a message with nothing Sandra can read.
    init(
        type: AssistantType = .echo,
        baseURL: String = "",
        apiKey: String = "",
        model: String = "",
        visionModel: String = "",
        systemPrompt: String = defaultSystemPrompt,
        timeoutSeconds: Int = defaultTimeoutSeconds,
        historyTurns: Int = defaultHistoryTurns,
        retryWindowSeconds: Int = defaultRetryWindowSeconds,
        holdNoteAfterSeconds: Int = defaultHoldNoteAfterSeconds,
        unreadableReply: String = ReadableMessageStep.defaultUnreadableReply
    ) {
        self.type = type
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.model = model
        self.visionModel = visionModel
        self.systemPrompt = systemPrompt
        self.timeoutSeconds = timeoutSeconds
        self.historyTurns = historyTurns
        self.retryWindowSeconds = retryWindowSeconds
        self.holdNoteAfterSeconds = holdNoteAfterSeconds
        self.unreadableReply = unreadableReply
    }

    /// The model used for turns with images: ``visionModel``, or ``model`` when that is empty.
    var effectiveVisionModel: String {
        visionModel.isEmpty ? model : visionModel
    }
}
