import Logging

/// A messaging platform, plugged into the host.
///
/// A channel turns the platform's webhook calls into normalized events and sends rendered
/// replies back. It knows nothing of the host, the store or the assistant: the shared
/// pipeline (ChannelPipeline) does the rest.
///
/// ```swift
/// let outcome = try channel.handle(request, logger: logger)   // verify, then parse
/// try await channel.send(OutboundMessage(text: "Hi"), to: recipient, logger: logger)
/// ```
public protocol Channel: Sendable {
    /// The configured name, also the last path component of the webhook URL.
    var name: String { get }
    /// What the platform accepts.
    var profile: ChannelProfile { get }

    /// Checks a webhook call and turns it into an answer or events.
    ///
    /// Runs inside the HTTP request, so it must be quick and must not perform I/O.
    /// - Throws: ``ChannelError`` — `.forbidden` for a failed handshake or signature,
    ///   `.malformedPayload` for a signed body that cannot be read, `.methodNotAllowed`.
    func handle(_ request: WebhookRequest, logger: Logger) throws -> WebhookOutcome

    /// Sends one message to a person.
    /// - Returns: the platform's receipt.
    /// - Throws: ``ChannelError`` — `.transient`, `.permanent` or `.unauthorized` — so the
    ///   sender knows whether to retry.
    func send(_ message: OutboundMessage, to recipient: Recipient, logger: Logger) async throws -> SendReceipt

    /// Shows a typing indicator, where the platform has one. Best effort.
    func typing(to recipient: Recipient, logger: Logger) async throws

    /// Tells the person their message is being answered: a typing indicator, and where the
    /// platform ties one to a message, a read receipt. Best effort. The pipeline calls it
    /// before the assistant runs when ``ChannelProfile/acknowledgementMarksRead`` is set, and
    /// otherwise only once the answer takes longer than its typing delay; never after the
    /// reply's first part went out. The default shows the typing indicator.
    func acknowledge(_ event: InboundEvent, logger: Logger) async throws

    /// Where to fetch an attachment's media: its URL and any headers the platform requires.
    /// The default is the attachment's URL with no headers, or `nil` when it has none.
    /// - Throws: ``ChannelError`` when a lookup the platform needs fails.
    func mediaSource(for attachment: Attachment, logger: Logger) async throws -> MediaSource?

    /// Asks the platform whom the channel's credentials belong to, without sending anything
    /// to anyone ("Test connection" in the admin portal).
    /// - Returns: the account, or `nil` when the channel has no such check. The default is `nil`.
    /// - Throws: ``ChannelError`` — `.unauthorized` for refused credentials, `.transient`,
    ///   `.permanent` — with the platform's code and message.
    func checkConnection(logger: Logger) async throws -> ConnectionCheck?

    /// The platform message id of a sent message that `event` reports refused because the
    /// person's reply window had closed (a WhatsApp `failed` status with error 131047), or
    /// `nil` for any other event. Runs inside the HTTP request: no I/O. The default is `nil`.
    func windowRefusal(in event: InboundEvent) -> String?
}

extension Channel {
    /// Channels without a typing indicator do nothing.
    public func typing(to recipient: Recipient, logger: Logger) async throws {}
    /// Shows the typing indicator.
    public func acknowledge(_ event: InboundEvent, logger: Logger) async throws {
        try await typing(to: event.recipient, logger: logger)
    }
    /// The attachment's own URL, with no headers.
    public func mediaSource(for attachment: Attachment, logger: Logger) async throws -> MediaSource? {
        attachment.url.map { MediaSource(url: $0) }
    }
    /// No check.
    public func checkConnection(logger: Logger) async throws -> ConnectionCheck? { nil }
    /// No refusals reported by events.
    public func windowRefusal(in event: InboundEvent) -> String? { nil }
}
