import ChannelKit
import Logging
import Foundation

/// The embedded default assistant: answers deterministically with what it received, in
/// Markdown (a bold word, a list, a link) so that each channel's rendering can be seen —
/// including the linked Sandra profile, so the sandbox shows identity linking at work.
struct EchoAssistant: Assistant {
    func reply(to turn: AssistantTurn, logger: Logger) async throws -> AssistantReply {
        let text = turn.message.text.trimmingCharacters(in: .whitespacesAndNewlines)
        var lines: [String] = []
        lines.append(text.isEmpty ? "You sent **no text**." : "You said: **\(Self.escape(text))**")
        lines.append("")
        lines.append("What I received:")
        lines.append("- channel: \(turn.conversation.channel)")
        lines.append("- characters: \(text.count)")
        if let payload = turn.message.payload, !payload.isEmpty {
            lines.append("- button payload: `\(payload)`")
        }
        if turn.message.attachments.isEmpty {
            lines.append("- attachments: none")
        } else {
            for attachment in turn.message.attachments {
                lines.append("- attachment: \(attachment.kind.rawValue)" + (attachment.title.map { " “\(Self.escape($0))”" } ?? ""))
            }
        }
        lines.append("- earlier turns I can see: \(turn.history.count)")
        if let profile = turn.profile {
            lines.append("- linked profile: \(Self.escape(profile.email)) (id \(profile.id))")
            if let name = profile.displayName, !name.isEmpty {
                lines.append("- display name: \(Self.escape(name))")
            }
            for (key, value) in profile.preferences.sorted(by: { $0.key < $1.key }) {
                lines.append("- preference \(Self.escape(key)): \(Self.escape(value))")
            }
        } else {
            lines.append("- linked profile: none (send `/link you@example.com` to link one)")
        }
        lines.append("")
        lines.append("This is the *echo* assistant; set `assistant.type: openai` for real answers. [Formatting help](https://commonmark.org/help/)")
        return AssistantReply(markdown: lines.joined(separator: "\n"))
    }

    /// Escapes Markdown punctuation so that a person's text is echoed literally.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            if "\\`*_{}[]<>()#+-.!|~".contains(character) { out.append("\\") }
            out.append(character == "\n" ? " " : character)
        }
        return out
    }
}
