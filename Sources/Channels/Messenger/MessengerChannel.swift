import ChannelKit
import Logging
import MetaPlatform

/// Facebook Messenger conversations with a Facebook Page, through the Messenger Platform:
/// Meta's webhooks in (`object: page`), the Send API out.
///
/// Made by ``MessengerChannelFactory``; the host registers the type with
/// `registry.register(.messenger)` and mounts the channel at `/api/channels/<name>`. The
/// webhook, its checks and the Send API are the Messenger Platform's, shared with Instagram
/// (``MessagingWebhookParser``, ``MessagingSendAPI``); what is Messenger's own is its profile,
/// its attachment types and its Page.
///
/// ```swift
/// let channel = try MessengerChannelFactory().makeChannel(name: "messenger", settings: settings, context: context)
/// switch try channel.handle(request, logger: logger) {
/// case .verified(let challenge): …                 // answer 200 with the challenge
/// case .events(let events): …                      // accept, then answer 200
/// }
/// let receipt = try await channel.send(OutboundMessage(text: "Hi"), to: recipient, logger: logger)
/// ```
public struct MessengerChannel: MessagingPlatformChannel, WebhookSubscribing {
    /// The configured name, also the last path component of the webhook URL.
    public let name: String
    /// What Messenger accepts; see ``profile(maxMessageCharacters:)``.
    public let profile: ChannelProfile

    let configuration: MessengerConfiguration
    let graph: GraphAPIClient
    /// The webhook checks, the parser (Messenger's attachment types) and the Send API on the
    /// Page's `/messages`.
    public let messaging: MessagingEndpoint

    /// The webhook fields the channel answers: messages (with quick replies) and postbacks
    /// (button taps). Echoes, reads and deliveries come only when subscribed in the App
    /// Dashboard, and are recorded, not answered.
    public static let webhookFields = ["messages", "messaging_postbacks"]

    init(name: String, configuration: MessengerConfiguration, context: ChannelContext) {
        self.name = name
        self.configuration = configuration
        self.profile = Self.profile(maxMessageCharacters: configuration.maxMessageCharacters, humanAgentTag: configuration.humanAgentTag)
        self.graph = configuration.graph.makeClient(http: context.http)
        let sendAPI = MessagingSendAPI(graph: graph, path: "\(configuration.pageNode)/messages", channelType: "messenger")
        var parser = MessengerWebhookParser.make(channel: name)
        parser.ownAppID = configuration.appID
        self.messaging = MessagingEndpoint(verifier: configuration.verifier, parser: parser, sendAPI: sendAPI)
    }

    /// What Messenger accepts: plain text (no Markdown) within `max_message_characters`
    /// characters — counted in code points and in UTF-16 code units, so that a part fits however
    /// Graph counts them — a typing indicator, up to 13 quick replies of 20 characters, images,
    /// and media from Meta's CDNs. Longer replies are split, never truncated.
    /// Replies go within 24 hours of the person's last message; up to 7 days tagged
    /// `HUMAN_AGENT` with `humanAgentTag`.
    /// - Parameters:
    ///   - maxMessageCharacters: the text limit (2000 by default).
    ///   - humanAgentTag: whether the app may send `HUMAN_AGENT` replies (``HumanAgentTag``).
    public static func profile(maxMessageCharacters: Int = MessengerChannelFactory.defaultMaxMessageCharacters,
                               humanAgentTag: Bool = false) -> ChannelProfile {
        ChannelProfile(
            formatting: .plain,
            textLimit: TextLimit(maximum: maxMessageCharacters, units: [.unicodeScalars, .utf16CodeUnits]),
            supportsTypingIndicator: true,
            quickReplies: QuickReplyLimits(maximumCount: 13, maximumTitleLength: 20),
            supportsImages: true,
            allowedMediaHosts: ["lookaside.fbsbx.com", "cdn.fbsbx.com", "*.fbcdn.net"],
            replyWindow: HumanAgentTag.replyWindow(enabled: humanAgentTag)
        )
    }

    // Webhooks, sending (`POST <graph>/<version>/<page-id or me>/messages` with the Page access
    // token) and the typing indicator: ``MessagingPlatformChannel``.

    // MARK: Test connection and webhook subscription

    /// Asks Graph whose token this is — `GET /<version>/me?fields=id,name`, the Page of a Page
    /// access token — and, with a `page_id`, that it is that Page's.
    /// - Throws: ``ChannelError`` `.misconfigured` for another Page's token; otherwise Graph's error.
    public func checkConnection(logger: Logger) async throws -> ConnectionCheck? {
        let check = try await graph.checkConnection(path: "me?fields=id,name", logger: logger)
        if !configuration.pageID.isEmpty, let accountID = check.accountID, accountID != configuration.pageID {
            throw ChannelError(.misconfigured, "the access token is the Page \(accountID)'s, but page_id is \(configuration.pageID): "
                + "paste that Page's access token, or correct page_id")
        }
        return check
    }

    /// Subscribes the app to the Page's `messages` and `messaging_postbacks` webhooks:
    /// `POST /<page-id or me>/subscribed_apps` with the Page access token.
    /// - Throws: ``ChannelError`` from Graph.
    public func subscribeWebhooks(logger: Logger) async throws -> WebhookSubscription {
        try await graph.subscribeApp(account: configuration.pageNode, fields: Self.webhookFields, logger: logger)
        return WebhookSubscription(account: configuration.pageNode, fields: Self.webhookFields)
    }
}
