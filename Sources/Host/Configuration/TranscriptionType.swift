/// What transcribes voice messages: the `transcription.type` key of `channels.yaml`.
enum TranscriptionType: String, Sendable, Hashable, CaseIterable {
    /// No transcription (the default): voice messages get a friendly reply asking for text.
    /// With the echo assistant, the labelled echo transcriber stands in, so that the sandbox
    /// shows the whole path without a provider.
    case none
    /// An OpenAI-compatible `/v1/audio/transcriptions` endpoint (OpenAI Whisper, a whisper.cpp
    /// server, faster-whisper servers).
    case openai
}
