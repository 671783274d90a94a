/// Which assistant answers messages: the `assistant.type` key of `channels.yaml`.
enum AssistantType: String, Sendable, Hashable, CaseIterable {
    /// Replies with the text it received; needs no settings. The default.
    case echo
    /// An OpenAI-compatible chat completions API (OpenAI, Ollama, vLLM…).
    case openai
}
