import ChannelKit
import Logging

/// A channel whose media lookups are timed as the platform call `media`
/// (`sandra_platform_request_seconds{operation="media"}`, failures in
/// `sandra_platform_errors_total`): what the media step gets for a message with an attachment
/// the platform identifies by a media id (WhatsApp), which the channel locates through the
/// platform's API. An attachment that came with its URL costs no call and is not timed; the
/// download itself is not a platform call. Everything else goes to `base` untouched.
struct MediaLookupTimedChannel: Channel {
    let base: any Channel
    let observer: PipelineReport

    /// `channel` timed for `message`'s media lookups, or `channel` itself when none of its
    /// attachments has a media id.
    static func wrapping(_ channel: any Channel, for message: UserMessage, observer: PipelineReport) -> any Channel {
        message.attachments.contains { $0.mediaID != nil } ? MediaLookupTimedChannel(base: channel, observer: observer) : channel
    }

    var name: String { base.name }
    var profile: ChannelProfile { base.profile }

    func handle(_ request: WebhookRequest, logger: Logger) throws -> WebhookOutcome {
        try base.handle(request, logger: logger)
    }

    func send(_ message: OutboundMessage, to recipient: Recipient, logger: Logger) async throws -> SendReceipt {
        try await base.send(message, to: recipient, logger: logger)
    }

    func typing(to recipient: Recipient, logger: Logger) async throws {
        try await base.typing(to: recipient, logger: logger)
    }

    func acknowledge(_ event: InboundEvent, logger: Logger) async throws {
        try await base.acknowledge(event, logger: logger)
    }

    func mediaSource(for attachment: Attachment, logger: Logger) async throws -> MediaSource? {
        guard attachment.mediaID != nil else { return try await base.mediaSource(for: attachment, logger: logger) }
        return try await observer.platformCall(.media, channel: base.name) {
            try await base.mediaSource(for: attachment, logger: logger)
        }
    }

    func checkConnection(logger: Logger) async throws -> ConnectionCheck? {
        try await base.checkConnection(logger: logger)
    }
}
