import Logging

/// Speech to text, for voice messages: the host has an OpenAI-compatible client
/// (`/v1/audio/transcriptions`) and, for the sandbox with the echo assistant, a labelled
/// stand-in that only describes the audio.
public protocol Transcriber: Sendable {
    /// Transcribes audio held in memory; the audio is never written anywhere.
    /// - Returns: what was said.
    /// - Throws: any error; the person is then asked to type instead.
    func transcribe(_ audio: MediaData, logger: Logger) async throws -> String
}
