import ChannelKit
import Logging
import MetaPlatform

/// Instagram Direct messages through Meta's webhooks and Send API.
///
/// Made by ``InstagramChannelFactory``; the host registers the type with
/// `registry.register(.instagram)` and mounts the channel at `/api/channels/<name>`.
///
/// ```swift
/// let channel = try InstagramChannelFactory().makeChannel(name: "instagram", settings: settings, context: context)
/// switch try channel.handle(request, logger: logger) {
/// case .verified(let challenge): …                 // answer 200 with the challenge
/// case .events(let events): …                      // accept, then answer 200
/// }
/// let receipt = try await channel.send(OutboundMessage(text: "Hi"), to: recipient, logger: logger)
/// ```
public struct InstagramChannel: Channel {
    /// The configured name, also the last path component of the webhook URL.
    public let name: String
    /// What Instagram accepts; see ``profile(maxMessageBytes:)``.
    public let profile: ChannelProfile

    let configuration: InstagramConfiguration
    private let verifier: MetaWebhookVerifier
    private let parser: InstagramWebhookParser
    let graph: GraphAPIClient
    /// The Page-token exchange of a Facebook-Login channel with a `page_id`; `nil` otherwise.
    let pageTokens: PageTokenExchange?

    init(name: String, configuration: InstagramConfiguration, context: ChannelContext) {
        self.name = name
        self.configuration = configuration
        self.profile = Self.profile(maxMessageBytes: configuration.maxMessageBytes)
        self.verifier = MetaWebhookVerifier(verifyToken: configuration.verifyToken, appSecret: configuration.appSecret)
        self.parser = InstagramWebhookParser(channel: name, storyMentionReply: configuration.storyMentionReply)
        self.graph = GraphAPIClient(http: context.http, baseURL: configuration.graphBaseURL,
                                    apiVersion: configuration.apiVersion, accessToken: configuration.accessToken,
                                    timeout: .seconds(15), maxResponseBytes: 64 * 1024,
                                    appSecretProofKey: configuration.appSecretProof ? configuration.appSecret : nil)
        let exchanges = configuration.login == .facebook && !configuration.pageID.isEmpty && !configuration.sandboxMode
        self.pageTokens = exchanges ? PageTokenExchange(pageID: configuration.pageID) : nil
    }

    /// What Instagram accepts: plain text within `max_message_bytes` UTF-8 bytes, a typing
    /// indicator, up to 13 quick replies of 20 characters, images, and media from Meta's CDNs.
    /// - Parameter maxMessageBytes: the text limit in UTF-8 bytes.
    public static func profile(maxMessageBytes: Int) -> ChannelProfile {
        ChannelProfile(
            formatting: .plain,
            textLimit: TextLimit(maximum: maxMessageBytes, unit: .utf8Bytes),
            supportsTypingIndicator: true,
            quickReplies: QuickReplyLimits(maximumCount: 13, maximumTitleLength: 20),
            supportsImages: true,
            allowedMediaHosts: ["lookaside.fbsbx.com", "*.fbcdn.net", "*.cdninstagram.com"]
        )
    }

    // MARK: Webhooks

    /// Answers the `GET` handshake, or verifies and parses a `POST` delivery.
    ///
    /// The signature is checked over the raw body before anything is parsed.
    /// - Throws: ``ChannelError`` `.forbidden` (handshake or signature), `.malformedPayload`
    ///   (a signed body that is not an Instagram webhook), `.methodNotAllowed`.
    public func handle(_ request: WebhookRequest, logger: Logger) throws -> WebhookOutcome {
        switch request.method {
        case .get:
            return try verifier.verifyHandshake(query: request.query)
        case .post:
            try verifier.verifySignature(headers: request.headers, body: request.body)
            let events = try parser.parse(request.body)
            logger.debug("instagram webhook parsed", metadata: ["events": "\(events.count)"])
            return .events(events)
        default:
            throw ChannelError(.methodNotAllowed, "the webhook takes GET and POST only")
        }
    }

    // MARK: Sending

    /// Sends one text message (with quick replies, when given) through the Send API:
    /// `POST <graph>/<version>/me/messages` with `messaging_type: RESPONSE` — on
    /// `graph.instagram.com` with the Instagram User token (Instagram Login), on
    /// `graph.facebook.com` with the Page token (Facebook Login; exchanged first when
    /// `page_id` is set).
    /// - Returns: the receipt carrying Instagram's `message_id`.
    /// - Throws: ``ChannelError`` `.transient`, `.unauthorized`, `.permanent` or `.misconfigured`.
    public func send(_ message: OutboundMessage, to recipient: Recipient, logger: Logger) async throws -> SendReceipt {
        if !profile.textLimit.fits(message.text) {
            // Sent anyway: the platform's answer (code 100) is the authority, and the sandbox
            // reports it so a renderer bug is visible.
            logger.warning("instagram: reply part exceeds the text limit", metadata: [
                "bytes": "\(message.text.utf8.count)", "limit": "\(profile.textLimit.maximum)",
            ])
        }
        let reply = try await sendAPIPost(Self.messageBody(message, to: recipient.userID), logger: logger)
        return SendReceipt(platformMessageID: reply["message_id"]?.stringValue)
    }

    /// Shows the typing indicator (`sender_action: typing_on`).
    /// - Throws: ``ChannelError`` as ``send(_:to:logger:)`` does.
    public func typing(to recipient: Recipient, logger: Logger) async throws {
        _ = try await sendAPIPost(Self.typingBody(to: recipient.userID), logger: logger)
    }

    /// `POST me/messages` with the token the login sends with; a refused exchanged Page token
    /// is forgotten, so that the next attempt exchanges again.
    private func sendAPIPost(_ body: MetaJSON, logger: Logger) async throws -> MetaJSON {
        let client = try await sendingClient(logger: logger)
        do {
            return try await client.post("me/messages", body: body, logger: logger)
        } catch let error as ChannelError where error.code == .unauthorized {
            pageTokens?.forget()
            throw error
        }
    }

    /// The Graph client that sends: with the Page's token when `page_id` asks for an exchange.
    func sendingClient(logger: Logger) async throws -> GraphAPIClient {
        guard let pageTokens else { return graph }
        return try await pageTokens.client(from: graph, logger: logger)
    }

    /// The Send API body for a text message.
    static func messageBody(_ message: OutboundMessage, to userID: String) -> MetaJSON {
        var content: [MetaJSON.Member] = [.init("text", .string(message.text))]
        if !message.quickReplies.isEmpty {
            content.append(.init("quick_replies", .array(message.quickReplies.map { reply in
                ["content_type": "text", "title": .string(reply.title), "payload": .string(reply.payload)]
            })))
        }
        return ["recipient": ["id": .string(userID)], "messaging_type": "RESPONSE", "message": .object(content)]
    }

    /// The Send API body for the typing indicator: the recipient and the action, nothing else.
    static func typingBody(to userID: String) -> MetaJSON {
        ["recipient": ["id": .string(userID)], "sender_action": "typing_on"]
    }
}
