import ChannelKit
import Logging

/// The Messenger Platform's Send API, which Messenger and Instagram share:
/// `POST <graph>/<version>/me/messages` (or `/<page-id>/messages`) with
/// `{"recipient":{"id"},"messaging_type":"RESPONSE","message":{"text","quick_replies"}}`, and
/// `sender_action: typing_on` for the typing indicator.
///
/// With a ``PageTokenExchange`` the calls carry the Page's token, exchanged on first use; a
/// token the platform refuses is forgotten, so that the next attempt exchanges again.
///
/// ```swift
/// let sendAPI = MessagingSendAPI(graph: graph, channelType: "messenger")
/// let receipt = try await sendAPI.send(message, to: recipient.userID, profile: profile, logger: logger)
/// ```
public struct MessagingSendAPI: Sendable {
    /// The Graph client calls start from.
    public let graph: GraphAPIClient
    /// The Page-token exchange, when the configured token is exchanged for the Page's.
    public let pageTokens: PageTokenExchange?
    /// The path messages are posted to (`me/messages`).
    public let path: String
    /// The `type:` value that starts log messages (`messenger`).
    public let channelType: String

    /// Creates the Send API of a channel.
    /// - Parameters:
    ///   - graph: the channel's Graph client.
    ///   - pageTokens: the Page-token exchange, if any.
    ///   - path: where messages are posted; `me/messages` by default.
    ///   - channelType: the channel type, for logs.
    public init(graph: GraphAPIClient, pageTokens: PageTokenExchange? = nil, path: String = "me/messages", channelType: String) {
        self.graph = graph
        self.pageTokens = pageTokens
        self.path = path
        self.channelType = channelType
    }

    /// Sends one text message, with its quick replies.
    /// - Returns: the receipt carrying the platform's `message_id`.
    /// - Throws: ``ChannelError`` `.transient`, `.unauthorized`, `.permanent` or `.misconfigured`.
    public func send(_ message: OutboundMessage, to userID: String, profile: ChannelProfile, logger: Logger) async throws -> SendReceipt {
        MetaGraphSettings.warnIfOverLimit(message.text, profile: profile, channelType: channelType, logger: logger)
        let reply = try await post(Self.messageBody(message, to: userID), logger: logger)
        return SendReceipt(platformMessageID: reply["message_id"]?.stringValue)
    }

    /// Shows the typing indicator (`sender_action: typing_on`).
    /// - Throws: ``ChannelError`` as ``send(_:to:profile:logger:)`` does.
    public func typing(to userID: String, logger: Logger) async throws {
        _ = try await post(Self.typingBody(to: userID), logger: logger)
    }

    /// A Conversation Routing call beside the Send API's path (`me/take_thread_control`,
    /// `<page-id>/request_thread_control`): `{"recipient":{"id"},"metadata"}`.
    /// - Parameter action: `take_thread_control`, `request_thread_control`, `pass_thread_control`
    ///   or `release_thread_control`.
    /// - Throws: ``ChannelError`` as ``send(_:to:profile:logger:)`` does.
    public func threadControl(_ action: String, of userID: String, metadata: String, logger: Logger) async throws {
        let client = try await sendingClient(logger: logger)
        let base = path.split(separator: "/").dropLast().joined(separator: "/")
        let body: MetaJSON = ["recipient": ["id": .string(userID)], "metadata": .string(String(metadata.prefix(1000)))]
        _ = try await client.post(base.isEmpty ? action : base + "/" + action, body: body, logger: logger)
    }

    /// The Graph client that sends: with the Page's token when there is an exchange.
    /// - Throws: ``ChannelError`` from the exchange.
    public func sendingClient(logger: Logger) async throws -> GraphAPIClient {
        guard let pageTokens else { return graph }
        return try await pageTokens.client(from: graph, logger: logger)
    }

    private func post(_ body: MetaJSON, logger: Logger) async throws -> MetaJSON {
        let client = try await sendingClient(logger: logger)
        do {
            return try await client.post(path, body: body, logger: logger)
        } catch let error as ChannelError where error.code == .unauthorized {
            pageTokens?.forget()
            throw error
        }
    }

    /// The Send API body of a text message, with `quick_replies` when it has any; a tagged
    /// message (``OutboundMessage/tag``) goes as `messaging_type: MESSAGE_TAG` with its `tag`.
    public static func messageBody(_ message: OutboundMessage, to userID: String) -> MetaJSON {
        var content: [MetaJSON.Member] = [.init("text", .string(message.text))]
        if !message.quickReplies.isEmpty {
            content.append(.init("quick_replies", .array(message.quickReplies.map { reply in
                ["content_type": "text", "title": .string(reply.title), "payload": .string(reply.payload)]
            })))
        }
        guard let tag = message.tag else {
            return ["recipient": ["id": .string(userID)], "messaging_type": "RESPONSE", "message": .object(content)]
        }
        // Outside the 24-hour window: a tagged message (`HUMAN_AGENT`, within 7 days).
        return ["recipient": ["id": .string(userID)], "messaging_type": "MESSAGE_TAG", "tag": .string(tag), "message": .object(content)]
    }

    /// The Send API body of the typing indicator: the recipient and the action, nothing else.
    public static func typingBody(to userID: String) -> MetaJSON {
        ["recipient": ["id": .string(userID)], "sender_action": "typing_on"]
    }
}
