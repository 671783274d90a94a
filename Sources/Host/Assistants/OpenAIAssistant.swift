import ChannelKit
import Foundation
import HTTPTypes
import Logging

/// An assistant backed by any OpenAI-compatible `/v1/chat/completions` server: OpenAI,
/// Ollama, vLLM, llama.cpp's server.
///
/// A turn with images goes to ``visionModel`` with the message's `content` as parts: the text
/// first, then each image as a base64 `data:` URL, in the message's order. Earlier turns are
/// text (with their transcripts and image notes), never images again.
struct OpenAIAssistant: Assistant {
    let http: any HTTPTransport
    let baseURL: String
    let apiKey: String
    let model: String
    let visionModel: String
    let systemPrompt: String
    let timeout: Duration

    /// The endpoint: `<base>/v1/chat/completions`, or `<base>/chat/completions` when the base already ends in `/v1`.
    var endpoint: String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base.hasSuffix("/v1") ? base + "/chat/completions" : base + "/v1/chat/completions"
    }

    func reply(to turn: AssistantTurn, logger: Logger) async throws -> AssistantReply {
        var messages: [[String: Any]] = [["role": "system", "content": systemMessage(for: turn)]]
        for earlier in turn.history {
            messages.append(["role": earlier.role == .user ? "user" : "assistant", "content": earlier.text])
        }
        messages.append(["role": "user", "content": Self.content(of: turn.message)])
        let chosenModel = turn.message.images.isEmpty ? model : visionModel
        let body = try JSONSerialization.data(withJSONObject: ["model": chosenModel, "messages": messages] as [String: Any])

        var headers: HTTPFields = [.contentType: "application/json", .accept: "application/json"]
        if !apiKey.isEmpty { headers[.authorization] = "Bearer \(apiKey)" }
        let response = try await http.execute(OutboundHTTPRequest(
            method: .post, url: endpoint, headers: headers, body: Array(body), timeout: timeout, maxResponseBytes: 4 << 20))
        guard response.status.kind == .successful else {
            throw AssistantError.status(response.status.code, Self.errorMessage(in: response.body))
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let choices = object["choices"] as? [[String: Any]],
              let message = choices.first?["message"] as? [String: Any],
              let content = message["content"] as? String
        else {
            throw AssistantError(.malformed, status: response.status.code, "the response has no choices[0].message.content")
        }
        return AssistantReply(markdown: content)
    }

    /// The system prompt plus what the channel can display, so the model shapes its answer.
    func systemMessage(for turn: AssistantTurn) -> String {
        var parts: [String] = []
        if !systemPrompt.isEmpty { parts.append(systemPrompt) }
        let profile = turn.channelProfile
        let formatting = switch profile.formatting {
        case .plain: "plain text only (Markdown is converted to plain text; tables become rows)"
        case .whatsapp: "WhatsApp formatting (*bold*, _italic_, ~strike~, monospace)"
        case .markdown: "Markdown"
        }
        parts.append("You are chatting on \(turn.conversation.channel). The app shows \(formatting). "
            + "Long answers are split into messages of at most \(profile.textLimit.maximum) "
            + (profile.textLimit.unit == .utf8Bytes ? "bytes" : "characters") + "; keep answers short and conversational.")
        if let linked = turn.profile {
            var profile = ["The person is linked to a Sandra profile (verified by email); use it to personalize your answers.",
                           "- profile id: \(linked.id)", "- email: \(linked.email)"]
            if let name = linked.displayName, !name.isEmpty { profile.append("- name: \(name)") }
            for (key, value) in linked.preferences.sorted(by: { $0.key < $1.key }) {
                profile.append("- preference \(key): \(value)")
            }
            parts.append(profile.joined(separator: "\n"))
        }
        return parts.joined(separator: "\n\n")
    }

    /// The new message's `content`: a string, or with images an array of parts
    /// `[{"type":"text","text":…}, {"type":"image_url","image_url":{"url":"data:…"}}, …]`.
    static func content(of message: UserMessage) -> Any {
        let text = text(of: message)
        guard !message.images.isEmpty else { return text }
        var parts: [[String: Any]] = [["type": "text", "text": text]]
        for image in message.images {
            parts.append(["type": "image_url", "image_url": ["url": image.dataURL]])
        }
        return parts
    }

    /// The new message as text: what was typed (or the title of the button or list row the
    /// person tapped, with its id or payload), the transcript, notes about media that could
    /// not be used, and other attachments.
    static func text(of message: UserMessage) -> String {
        var lines: [String] = []
        if !message.text.isEmpty { lines.append(message.text) }
        if let payload = message.payload, !payload.isEmpty, payload != message.text {
            lines.append("[The person tapped a button; its payload: \(payload)]")
        }
        if let transcript = message.transcript { lines.append("[Voice message, transcribed]: \(transcript)") }
        lines += message.mediaNotes
        for attachment in message.attachments {
            lines.append("[The person attached: \(attachment.kind.rawValue)]")
        }
        if lines.isEmpty {
            switch message.images.count {
            case 0: return "[The person sent an empty message]"
            case 1: return "[The person sent an image]"
            default: return "[The person sent \(message.images.count) images]"
            }
        }
        return lines.joined(separator: "\n")
    }

    static func errorMessage(in body: [UInt8]) -> String {
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
           let error = object["error"] as? [String: Any], let message = error["message"] as? String {
            return String(message.prefix(200))
        }
        return "no error message"
    }
}
