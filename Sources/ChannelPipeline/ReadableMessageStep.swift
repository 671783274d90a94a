import ChannelKit
import ChannelMedia
import Logging

/// The preparation step that answers what there is nothing for the assistant to read in.
///
/// - A message the channel gave an automatic reply (``InboundMessage/automaticReply``: an
///   Instagram story mention answered with the operator's thanks) gets that reply.
/// - A message with no text, no button payload and no photo or voice message — only things
///   Sandra cannot read: WhatsApp `unsupported` messages and orders, Instagram reels, stories,
///   shares, files, videos — gets ``unreadableReply``, saying what Sandra can read. A sticker
///   (or Instagram's heart) is a gesture, not a question: it goes on to the assistant, which
///   is told one was sent.
/// - Anything else goes on to the next step (media).
///
/// ```swift
/// let preparer = ReadableMessageStep(next: MediaPreparer(fetcher: fetcher, policies: policies, transcriber: whisper))
/// let pipeline = Pipeline(channels: …, preparer: preparer, …)
/// ```
public struct ReadableMessageStep: MessagePreparer {
    /// The default answer to a message with nothing Sandra can read, in Markdown.
    public static let defaultUnreadableReply =
        "Sorry, I can't open that kind of message. I can read text, photos and voice messages: could you send it as one of those?"

    /// What a message with nothing readable is answered with, in Markdown.
    public let unreadableReply: String
    private let next: (any MessagePreparer)?

    /// Creates the step.
    /// - Parameters:
    ///   - unreadableReply: the answer to a message with nothing Sandra can read.
    ///   - next: the step that prepares everything else (media); `nil` passes it on as it is.
    public init(unreadableReply: String = defaultUnreadableReply, next: (any MessagePreparer)?) {
        let trimmed = unreadableReply.trimmingWhitespaceAndNewlines
        self.unreadableReply = trimmed.isEmpty ? Self.defaultUnreadableReply : trimmed
        self.next = next
    }

    /// Answers an automatic reply or a message with nothing readable; passes the rest on.
    public func prepare(_ message: UserMessage, of event: InboundEvent, channel: any Channel, logger: Logger) async -> MessagePreparation {
        if case .message(let inbound) = event.kind, let reply = inbound.automaticReply?.trimmingWhitespaceAndNewlines, !reply.isEmpty {
            return MessagePreparation(message: message, directReply: AssistantReply(markdown: reply))
        }
        if Self.hasNothingReadable(message) {
            logger.debug("message has nothing readable", metadata: ["kinds": "\(message.attachments.map(\.platformType))"])
            return MessagePreparation(message: message, directReply: AssistantReply(markdown: unreadableReply))
        }
        return await next?.prepare(message, of: event, channel: channel, logger: logger) ?? MessagePreparation(message: message)
    }

    /// Whether `message` has attachments and nothing else, and none of them is a photo or a
    /// voice message the media step could open, or a sticker.
    public static func hasNothingReadable(_ message: UserMessage) -> Bool {
        guard message.text.trimmingWhitespaceAndNewlines.isEmpty, message.payload == nil, message.transcript == nil,
              message.images.isEmpty, !message.attachments.isEmpty else { return false }
        return !message.attachments.contains { MediaPreparer.isMedia($0) || $0.kind == .sticker }
    }
}
