import ChannelKit
import Logging
import Foundation

/// The embedded default assistant: answers deterministically with what it received, in
/// Markdown (a bold word, a list, a link) so that each channel's rendering can be seen: the
/// text, each image's type, pixel size and byte size, a voice message's transcript, notes
/// about media that could not be used, and the linked Sandra profile, so the sandbox shows
/// identity linking at work.
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
        let message = turn.message
        for image in message.images {
            var facts = [image.mimeType]
            if let size = image.pixelSize { facts.append("\(size.width)×\(size.height) px") }
            facts.append(MediaData.sizeText(image.bytes.count))
            lines.append("- image: \(facts.joined(separator: ", "))")
        }
        if let transcript = message.transcript {
            lines.append("- voice message, transcribed: “\(Self.escape(transcript))”")
        }
        for note in message.mediaNotes {
            lines.append("- \(Self.escape(note))")
        }
        for attachment in message.attachments {
            lines.append("- attachment: \(attachment.kind.rawValue)" + (attachment.title.map { " “\(Self.escape($0))”" } ?? ""))
        }
        if message.attachments.isEmpty, message.images.isEmpty, message.transcript == nil, message.mediaNotes.isEmpty {
            lines.append("- attachments: none")
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
    /// Characters Markdown could read as syntax.
    private static let markdownSpecials: Set<Unicode.Scalar> = Set("\\`*_{}[]<>()#+-.!|~".unicodeScalars)

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if markdownSpecials.contains(scalar) { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(scalar == "\n" ? " " : scalar)
        }
        return out
    }
}
