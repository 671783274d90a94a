import ChannelKit
import Foundation
import HTTPTypes
import Logging

/// An assistant backed by any OpenAI-compatible `/v1/chat/completions` server: OpenAI,
/// Ollama, vLLM, llama.cpp's server.
struct OpenAIAssistant: Assistant {
    let http: any HTTPTransport
    let baseURL: String
    let apiKey: String
    let model: String
    let systemPrompt: String
    let timeout: Duration

    /// The endpoint: `<base>/v1/chat/completions`, or `<base>/chat/completions` when the base already ends in `/v1`.
    var endpoint: String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base.hasSuffix("/v1") ? base + "/chat/completions" : base + "/v1/chat/completions"
    }

    func reply(to turn: AssistantTurn, logger: Logger) async throws -> AssistantReply {
        var messages: [[String: String]] = [["role": "system", "content": systemMessage(for: turn)]]
        for earlier in turn.history {
            messages.append(["role": earlier.role == .user ? "user" : "assistant", "content": earlier.text])
        }
        messages.append(["role": "user", "content": Self.content(of: turn.message)])
        let body = try JSONSerialization.data(withJSONObject: ["model": model, "messages": messages] as [String: Any])

        var headers: HTTPFields = [.contentType: "application/json", .accept: "application/json"]
        if !apiKey.isEmpty { headers[.authorization] = "Bearer \(apiKey)" }
        let response = try await http.execute(OutboundHTTPRequest(
            method: .post, url: endpoint, headers: headers, body: Array(body), timeout: timeout, maxResponseBytes: 4 << 20))
        guard response.status.kind == .successful else {
            throw AssistantError(status: response.status.code, message: Self.errorMessage(in: response.body))
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let choices = object["choices"] as? [[String: Any]],
              let message = choices.first?["message"] as? [String: Any],
              let content = message["content"] as? String
        else {
            throw AssistantError(status: response.status.code, message: "the response has no choices[0].message.content")
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

    static func content(of message: UserMessage) -> String {
        var text = message.text
        for attachment in message.attachments {
            if !text.isEmpty { text += "\n" }
            text += "[The person attached: \(attachment.kind.rawValue)]"
        }
        return text.isEmpty ? "[The person sent an empty message]" : text
    }

    static func errorMessage(in body: [UInt8]) -> String {
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
           let error = object["error"] as? [String: Any], let message = error["message"] as? String {
            return String(message.prefix(200))
        }
        return "no error message"
    }
}

/// The assistant's server refused or failed a request.
struct AssistantError: Error, CustomStringConvertible {
    let status: Int
    let message: String
    var description: String { "assistant server answered \(status): \(message)" }
}
