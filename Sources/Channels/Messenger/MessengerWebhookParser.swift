import ChannelKit
import MetaPlatform

/// What is Messenger's own in its webhooks (`object: page`): its attachment types. The rest —
/// entries, `messaging`, `standby`, echoes, reactions, reads, deliveries, postbacks, quick
/// replies — is the Messenger Platform's, read by ``MessagingWebhookParser``.
enum MessengerWebhookParser {
    /// The parser of a Messenger channel.
    /// - Parameter channel: the configured channel name.
    static func make(channel: String) -> MessagingWebhookParser {
        MessagingWebhookParser(channel: channel, envelope: MetaWebhookEnvelope(object: "page", label: "messenger webhook"),
                               attachmentKinds: attachmentKinds)
    }

    /// Messenger's attachment types (`message.attachments[].type`) and their normalized kinds:
    /// media with `payload.url`; `fallback` is a shared link, `template` a product or a
    /// structured message, `reel` a shared Facebook reel. Stickers arrive as `image` with a
    /// `sticker_id`.
    static let attachmentKinds: [String: Attachment.Kind] = [
        "image": .image, "audio": .audio, "video": .video, "file": .file,
        "fallback": .share, "reel": .reel, "ig_reel": .reel,
        "location": .location, "template": .other,
    ]
}
