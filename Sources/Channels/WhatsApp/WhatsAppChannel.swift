import ChannelKit
import Logging
import MetaPlatform

/// WhatsApp through the WhatsApp Cloud API: Meta's webhooks in, the Graph API's
/// `POST /<phone-number-id>/messages` out.
///
/// Made by ``WhatsAppChannelFactory``; the host registers the type with
/// `registry.register(.whatsapp)` and mounts the channel at `/api/channels/<name>`. The
/// handshake and the `X-Hub-Signature-256` check are the ones Instagram uses
/// (``MetaWebhookVerifier``).
///
/// ```swift
/// let channel = try WhatsAppChannelFactory().makeChannel(name: "whatsapp", settings: settings, context: context)
/// switch try channel.handle(request, logger: logger) {
/// case .verified(let challenge): …                 // answer 200 with the challenge
/// case .events(let events): …                      // accept, then answer 200
/// }
/// let receipt = try await channel.send(OutboundMessage(text: "*Hi*"), to: recipient, logger: logger)
/// ```
///
/// A conversation's account id is the business phone number id the message was sent to
/// (`metadata.phone_number_id`), so each reply goes out from the number the person wrote to.
public struct WhatsAppChannel: Channel {
    /// The configured name, also the last path component of the webhook URL.
    public let name: String
    /// What WhatsApp accepts; see ``profile(maxMessageCharacters:)``.
    public let profile: ChannelProfile

    let configuration: WhatsAppConfiguration
    private let verifier: MetaWebhookVerifier
    private let parser: WhatsAppWebhookParser
    let graph: GraphAPIClient

    /// The longest body of an interactive (reply-button) message, in characters — counted, as
    /// the text limit is, in code points and UTF-16 code units.
    static let interactiveBodyLimit = 1024

    /// Whether `text` fits an interactive message's body however Graph counts it.
    static func fitsInteractiveBody(_ text: String) -> Bool {
        text.utf16.count <= interactiveBodyLimit   // never fewer UTF-16 units than code points
    }

    init(name: String, configuration: WhatsAppConfiguration, context: ChannelContext) {
        self.name = name
        self.configuration = configuration
        self.profile = Self.profile(maxMessageCharacters: configuration.maxMessageCharacters,
                                    reengagementTemplate: configuration.reengagementTemplate)
        self.verifier = configuration.verifier
        self.parser = WhatsAppWebhookParser(channel: name, phoneNumberID: configuration.phoneNumberID.isEmpty ? nil : configuration.phoneNumberID)
        self.graph = configuration.graph.makeClient(http: context.http)
    }

    /// What WhatsApp accepts: its own formatting (`*bold*`, `_italic_`, `~strike~`,
    /// ```` ``` ```` monospace) within `max_message_characters` characters, a typing indicator
    /// (shown with a read receipt), up to 3 reply buttons of 20 characters, images, and media
    /// from Meta's CDNs.
    ///
    /// Graph counts a text's "characters" in code points or UTF-16 code units, not in what a
    /// person sees as one (a family emoji is 7 code points, 11 UTF-16 units), so the limit holds
    /// in both: a part fits however Graph counts it.
    ///
    /// Free-form messages go within 24 hours of the person's last message (the customer-service
    /// window); after that only a template, when one is configured.
    /// - Parameters:
    ///   - maxMessageCharacters: the text limit (4096 by default).
    ///   - reengagementTemplate: the template sent outside the window; `nil`: nothing is sent there.
    public static func profile(maxMessageCharacters: Int = WhatsAppChannelFactory.defaultMaxMessageCharacters,
                               reengagementTemplate: MessageTemplate? = nil) -> ChannelProfile {
        ChannelProfile(
            formatting: .whatsapp,
            textLimit: TextLimit(maximum: maxMessageCharacters, units: [.unicodeScalars, .utf16CodeUnits]),
            supportsTypingIndicator: true,
            acknowledgementMarksRead: true,
            quickReplies: QuickReplyLimits(maximumCount: 3, maximumTitleLength: 20),
            supportsImages: true,
            allowedMediaHosts: ["lookaside.fbsbx.com", "*.fbcdn.net", "*.whatsapp.net"],
            replyWindow: ReplyWindow(outside: reengagementTemplate.map { .template($0) } ?? .nothing)
        )
    }

    // MARK: Webhooks

    /// Answers the `GET` handshake, or verifies and parses a `POST` delivery.
    ///
    /// The signature is checked over the raw body before anything is parsed. Statuses of
    /// replies WhatsApp could not deliver, and errors Meta reports, are logged with their codes.
    /// - Throws: ``ChannelError`` `.forbidden` (handshake or signature), `.malformedPayload`
    ///   (a signed body that is not a WhatsApp webhook), `.methodNotAllowed`.
    public func handle(_ request: WebhookRequest, logger: Logger) throws -> WebhookOutcome {
        try verifier.handle(request) { body in
            let delivery = try parser.parse(body)
            for code in delivery.failedStatusCodes {
                logger.warning("whatsapp: a sent message was not delivered", metadata: ["platform.code": "\(code.map(String.init) ?? "none")"])
            }
            for code in delivery.errorCodes {
                logger.warning("whatsapp: the platform reported an error", metadata: ["platform.code": "\(code.map(String.init) ?? "none")"])
            }
            logger.debug("whatsapp webhook parsed", metadata: ["events": "\(delivery.events.count)"])
            return delivery.events
        }
    }

    // MARK: Sending

    /// Sends one text message: `POST <graph>/<version>/<phone-number-id>/messages` with
    /// `messaging_product: whatsapp`. With quick replies, and a text that fits an interactive
    /// message's 1024-character body, it is sent as reply buttons (at most 3); otherwise the
    /// buttons are left out.
    /// - Returns: the receipt carrying WhatsApp's message id (`wamid.…`).
    /// - Throws: ``ChannelError`` `.transient`, `.unauthorized`, `.permanent` or `.misconfigured`.
    public func send(_ message: OutboundMessage, to recipient: Recipient, logger: Logger) async throws -> SendReceipt {
        if message.template == nil {
            MetaGraphSettings.warnIfOverLimit(message.text, profile: profile, channelType: "whatsapp", logger: logger)
        }
        if !message.quickReplies.isEmpty, !Self.fitsInteractiveBody(message.text) {
            logger.info("whatsapp: reply buttons left out; the text is too long for an interactive message")
        }
        let body = Self.messageBody(message, to: recipient.userID)
        let reply = try await graph.post(try messagesPath(for: recipient.accountID), body: body, logger: logger)
        return SendReceipt(platformMessageID: reply["messages"]?.arrayValue?.first?["id"]?.idValue)
    }

    /// Marks the person's message read and shows the typing indicator, in one call:
    /// `{"messaging_product":"whatsapp","status":"read","message_id":<wamid>,"typing_indicator":{"type":"text"}}`.
    /// WhatsApp dismisses the indicator when the reply arrives or after 25 seconds.
    /// - Throws: ``ChannelError`` as ``send(_:to:logger:)`` does.
    public func acknowledge(_ event: InboundEvent, logger: Logger) async throws {
        guard event.isAnswerable else { return }
        _ = try await graph.post(try messagesPath(for: event.accountID), body: Self.readBody(messageID: event.platformMessageID), logger: logger)
    }

    /// The wamid of a sent message that `event`, a `failed` status with error 131047
    /// ("more than 24 hours have passed since the customer last replied"), reports refused.
    public func windowRefusal(in event: InboundEvent) -> String? {
        guard case .ignored(let ignored) = event.kind, ignored.reason == .status,
              ignored.detail == WhatsAppWebhookParser.statusDetail(status: "failed", code: Self.windowClosedCode) else { return nil }
        return ignored.targetMessageID
    }

    /// WhatsApp's error code for a message sent outside the customer-service window.
    public static let windowClosedCode = 131047

    /// The Graph path replies from a business phone number go to.
    /// `GET /<version>/<phone-number-id>` (its verified name and display number), or
    /// `GET /<version>/me` when no phone number id is configured.
    public func checkConnection(logger: Logger) async throws -> ConnectionCheck? {
        try await graph.checkConnection(path: configuration.phoneNumberID.isEmpty ? "me" : configuration.phoneNumberID, logger: logger)
    }

    func messagesPath(for accountID: String) throws -> String {
        let phoneNumberID = accountID.isEmpty ? configuration.phoneNumberID : accountID
        guard !phoneNumberID.isEmpty else {
            throw ChannelError(.misconfigured, "no phone_number_id to send from")
        }
        return "\(phoneNumberID)/messages"
    }

    /// The Cloud API body of a text message, or of reply buttons when it has quick replies
    /// and fits an interactive body. A phone number goes in `to`; a business-scoped user id
    /// (`US.13491208655302741918`) in `recipient`, as the Cloud API takes it since 2026.
    static func messageBody(_ message: OutboundMessage, to userID: String) -> MetaJSON {
        let addressKey = isBusinessScopedUserID(userID) ? "recipient" : "to"
        if let template = message.template {
            return templateBody(template, addressKey: addressKey, to: userID)
        }
        if !message.quickReplies.isEmpty, fitsInteractiveBody(message.text) {
            let buttons: [MetaJSON] = message.quickReplies.prefix(3).map { reply in
                ["type": "reply", "reply": ["id": .string(String(reply.payload.prefix(256))), "title": .string(String(reply.title.prefix(20)))]]
            }
            return [
                "messaging_product": "whatsapp", "recipient_type": "individual", addressKey: .string(userID), "type": "interactive",
                "interactive": ["type": "button", "body": ["text": .string(message.text)], "action": ["buttons": .array(buttons)]],
            ]
        }
        let previewURL = message.text.contains("https://") || message.text.contains("http://")
        return [
            "messaging_product": "whatsapp", "recipient_type": "individual", addressKey: .string(userID), "type": "text",
            "text": ["preview_url": .bool(previewURL), "body": .string(message.text)],
        ]
    }

    /// Whether a WhatsApp user id is a business-scoped user id — an ISO 3166 country code, a
    /// dot, then letters and digits (`US.13491208655302741918`; a parent BSUID has one more
    /// dotted part) — rather than a phone number (`wa_id`).
    static func isBusinessScopedUserID(_ userID: String) -> Bool {
        let parts = userID.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].count == 2, parts[0].allSatisfy({ $0.isASCII && $0.isUppercase }) else { return false }
        return parts.dropFirst().allSatisfy { part in !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
    }

    /// The Cloud API body of a template message: its name, its language, and its body's
    /// parameters as text (`components: [{type: body, parameters: [{type: text, text}]}]`;
    /// no components when it has none).
    static func templateBody(_ template: MessageTemplate, addressKey: String, to userID: String) -> MetaJSON {
        var content: [MetaJSON.Member] = [.init("name", .string(template.name)), .init("language", ["code": .string(template.language)])]
        if !template.parameters.isEmpty {
            let parameters: [MetaJSON] = template.parameters.map { ["type": "text", "text": .string($0)] }
            content.append(.init("components", [["type": "body", "parameters": .array(parameters)]]))
        }
        return [
            "messaging_product": "whatsapp", "recipient_type": "individual", addressKey: .string(userID), "type": "template",
            "template": .object(content),
        ]
    }

    /// The Cloud API body of a read receipt with the typing indicator.
    static func readBody(messageID: String) -> MetaJSON {
        ["messaging_product": "whatsapp", "status": "read", "message_id": .string(messageID), "typing_indicator": ["type": "text"]]
    }
}
