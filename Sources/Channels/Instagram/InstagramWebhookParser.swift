import ChannelKit
import Foundation
import MetaPlatform

/// What is Instagram's own in its webhooks (`object: instagram`): its attachment types and its
/// story mentions. The rest — entries, `messaging`, `standby`, `changes`, echoes, reactions,
/// reads, postbacks — is the Messenger Platform's, read by ``MessagingWebhookParser``.
enum InstagramWebhookParser {
    /// The parser of an Instagram channel.
    /// - Parameters:
    ///   - channel: the configured channel name.
    ///   - storyMentionReply: what a story mention is answered with; empty: recorded, not answered.
    static func make(channel: String, storyMentionReply: String = "") -> MessagingWebhookParser {
        let reply = storyMentionReply.trimmingCharacters(in: .whitespacesAndNewlines)
        return MessagingWebhookParser(channel: channel, envelope: MetaWebhookEnvelope(object: "instagram", label: "instagram webhook"),
                                      attachmentKinds: attachmentKinds) { message, mid in
            storyMention(message, mid: mid, reply: reply)
        }
    }

    /// Instagram's attachment types and their normalized kinds.
    static let attachmentKinds: [String: Attachment.Kind] = [
        "image": .image, "audio": .audio, "video": .video, "file": .file,
        "share": .share, "ig_post": .share,
        "ig_reel": .reel, "reel": .reel,
        "story_mention": .story, "ig_story": .story, "story": .story,
        "sticker": .sticker, "like_heart": .sticker,
        "ephemeral": .unsupported, "unsupported_type": .unsupported,
    ]

    /// A story mention — a notification that the person mentioned the account in their story,
    /// not a question — recorded and not answered, or answered with the configured thanks.
    /// `nil` when the message is something else (or says something besides the mention).
    static func storyMention(_ message: InboundMessage, mid: String, reply: String) -> InboundEvent.Kind? {
        guard !message.attachments.isEmpty, message.attachments.allSatisfy({ $0.platformType == "story_mention" }),
              (message.text ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        guard !reply.isEmpty else {
            return .ignored(IgnoredEvent(reason: .mention, targetMessageID: mid, detail: "story_mention"))
        }
        var answered = message
        answered.automaticReply = reply
        return .message(answered)
    }
}
