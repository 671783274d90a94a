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
public struct InstagramChannel: MessagingPlatformChannel {
    /// The configured name, also the last path component of the webhook URL.
    public let name: String
    /// What Instagram accepts; see ``profile(maxMessageBytes:)``.
    public let profile: ChannelProfile

    let configuration: InstagramConfiguration
    let graph: GraphAPIClient
    /// The webhook checks, the parser (Instagram's attachment types and story mentions) and the
    /// Send API, with the Page-token exchange of a Facebook-Login channel with a `page_id`.
    public let messaging: MessagingEndpoint

    init(name: String, configuration: InstagramConfiguration, context: ChannelContext) {
        self.name = name
        self.configuration = configuration
        self.profile = Self.profile(maxMessageBytes: configuration.maxMessageBytes, humanAgentTag: configuration.humanAgentTag)
        self.graph = configuration.graph.makeClient(http: context.http)
        let exchanges = configuration.login == .facebook && !configuration.pageID.isEmpty && !configuration.sandboxMode
        let sendAPI = MessagingSendAPI(graph: graph, pageTokens: exchanges ? PageTokenExchange(pageID: configuration.pageID) : nil,
                                       channelType: "instagram")
        var parser = InstagramWebhookParser.make(channel: name, storyMentionReply: configuration.storyMentionReply)
        parser.ownAppID = configuration.appID
        self.messaging = MessagingEndpoint(verifier: configuration.verifier, parser: parser, sendAPI: sendAPI)
    }

    /// The Page-token exchange of a Facebook-Login channel with a `page_id`; `nil` otherwise.
    var pageTokens: PageTokenExchange? { messaging.sendAPI.pageTokens }

    /// What Instagram accepts: plain text within `max_message_bytes` UTF-8 bytes, a typing
    /// indicator, up to 13 quick replies of 20 characters, images, and media from Meta's CDNs.
    /// Replies go within 24 hours of the person's last message; up to 7 days tagged
    /// `HUMAN_AGENT` with `humanAgentTag`.
    /// - Parameters:
    ///   - maxMessageBytes: the text limit in UTF-8 bytes.
    ///   - humanAgentTag: whether the app may send `HUMAN_AGENT` replies (``HumanAgentTag``).
    public static func profile(maxMessageBytes: Int, humanAgentTag: Bool = false) -> ChannelProfile {
        ChannelProfile(
            formatting: .plain,
            textLimit: TextLimit(maximum: maxMessageBytes, unit: .utf8Bytes),
            supportsTypingIndicator: true,
            quickReplies: QuickReplyLimits(maximumCount: 13, maximumTitleLength: 20),
            supportsImages: true,
            allowedMediaHosts: ["lookaside.fbsbx.com", "*.fbcdn.net", "*.cdninstagram.com"],
            replyWindow: HumanAgentTag.replyWindow(enabled: humanAgentTag)
        )
    }

    // Webhooks, sending and the typing indicator: ``MessagingPlatformChannel``, on
    // `POST <graph>/<version>/me/messages` — `graph.instagram.com` with the Instagram User token
    // (Instagram Login), `graph.facebook.com` with the Page token (Facebook Login; exchanged
    // first when `page_id` is set).

    /// The Graph client that sends: with the Page's token when `page_id` asks for an exchange.
    func sendingClient(logger: Logger) async throws -> GraphAPIClient {
        try await messaging.sendAPI.sendingClient(logger: logger)
    }
}
