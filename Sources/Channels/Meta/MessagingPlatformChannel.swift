import ChannelKit
import Logging

/// A channel on the Messenger Platform (Messenger, Instagram): its webhook checked, then read
/// by ``MessagingWebhookParser``; its replies and typing indicator sent through
/// ``MessagingSendAPI``. Conforming gives the channel `handle`, `send` and `typing`; it keeps
/// its profile, its settings and whatever else is its own.
///
/// ```swift
/// struct MessengerChannel: MessagingPlatformChannel {
///     let name: String
///     let profile: ChannelProfile
///     let messaging: MessagingEndpoint
/// }
/// ```
public protocol MessagingPlatformChannel: ThreadControlRequesting {
    /// The channel's webhook checks, parser and Send API.
    var messaging: MessagingEndpoint { get }
}

extension MessagingPlatformChannel {
    /// Answers the `GET` handshake, or verifies and parses a `POST` delivery; the signature is
    /// checked over the raw body before anything is parsed.
    /// - Throws: ``ChannelError`` `.forbidden` (handshake or signature), `.malformedPayload`
    ///   (a signed body that is not a webhook of the channel's `object`), `.methodNotAllowed`.
    public func handle(_ request: WebhookRequest, logger: Logger) throws -> WebhookOutcome {
        try messaging.verifier.handle(request) { body in
            let events = try messaging.parser.parse(body)
            logger.debug("\(messaging.sendAPI.channelType) webhook parsed", metadata: ["events": "\(events.count)"])
            return events
        }
    }

    /// Sends one text message, with its quick replies, through the Send API
    /// (``MessagingSendAPI/send(_:to:profile:logger:)``).
    /// - Returns: the receipt carrying the platform's `message_id`.
    /// - Throws: ``ChannelError`` `.transient`, `.unauthorized`, `.permanent` or `.misconfigured`.
    public func send(_ message: OutboundMessage, to recipient: Recipient, logger: Logger) async throws -> SendReceipt {
        try await messaging.sendAPI.send(message, to: recipient.userID, profile: profile, logger: logger)
    }

    /// Takes the conversation (`take_thread_control`, for the primary app), else asks its owner
    /// for it (`request_thread_control`).
    /// - Throws: ``ChannelError`` of the request when the platform refuses both.
    public func requestThreadControl(of recipient: Recipient, metadata: String, logger: Logger) async throws -> ThreadControlOutcome {
        do {
            try await messaging.sendAPI.threadControl("take_thread_control", of: recipient.userID, metadata: metadata, logger: logger)
            return .taken
        } catch let error as ChannelError where error.code == .permanent {
            // Not the primary app, or routing not configured to let it take: ask the owner.
            logger.info("taking the thread was refused; asking its owner", metadata: ["code": "\(error.platformCode.map { "\($0)" } ?? "none")"])
            try await messaging.sendAPI.threadControl("request_thread_control", of: recipient.userID, metadata: metadata, logger: logger)
            return .requested
        }
    }

    /// Shows the typing indicator (`sender_action: typing_on`).
    /// - Throws: ``ChannelError`` as ``send(_:to:logger:)`` does.
    public func typing(to recipient: Recipient, logger: Logger) async throws {
        try await messaging.sendAPI.typing(to: recipient.userID, logger: logger)
    }
}
