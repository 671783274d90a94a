import ChannelKit
import ChannelMedia
import Foundation
import HTTPTypes
import Logging

/// Speech to text through any OpenAI-compatible `/v1/audio/transcriptions` endpoint: OpenAI
/// Whisper, a whisper.cpp server, faster-whisper servers.
///
/// The audio is uploaded from memory as `multipart/form-data`: `file` named after its sniffed
/// format with its MIME type (an Instagram voice note, served as `video/mp4`, goes as
/// `voice.m4a`, `audio/mp4`), `model`, `language` when configured, and
/// `response_format=json`.
struct OpenAITranscriber: Transcriber {
    let http: any HTTPTransport
    let baseURL: String
    let apiKey: String
    let model: String
    let language: String
    let timeout: Duration

    /// `<base>/v1/audio/transcriptions`, or `<base>/audio/transcriptions` when the base ends in `/v1`.
    var endpoint: String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base.hasSuffix("/v1") ? base + "/audio/transcriptions" : base + "/v1/audio/transcriptions"
    }

    func transcribe(_ audio: MediaData, logger: Logger) async throws -> String {
        var form = MultipartFormData()
        form.addFile("file", filename: "voice.\(audio.format.fileExtension)", contentType: audio.format.mimeType, bytes: audio.bytes)
        form.addField("model", model)
        if !language.isEmpty { form.addField("language", language) }
        form.addField("response_format", "json")

        var headers: HTTPFields = [.contentType: form.contentType, .accept: "application/json"]
        if !apiKey.isEmpty { headers[.authorization] = "Bearer \(apiKey)" }
        let response: OutboundHTTPResponse
        do {
            response = try await http.execute(OutboundHTTPRequest(
                method: .post, url: endpoint, headers: headers, body: form.body, timeout: timeout, maxResponseBytes: 1 << 20))
        } catch let error as HTTPTransportError {
            throw MediaError(.transcriptionFailed, "transcription server: \(error)")
        }
        guard response.status.kind == .successful else {
            throw MediaError(.transcriptionFailed,
                             "transcription server answered \(response.status.code): \(OpenAIAssistant.errorMessage(in: response.body))",
                             httpStatus: response.status.code)
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let text = object["text"] as? String
        else {
            throw MediaError(.transcriptionFailed, "the transcription response has no text")
        }
        logger.debug("voice message transcribed", metadata: ["bytes": "\(audio.byteCount)", "format": "\(audio.format.rawValue)"])
        return text
    }
}
