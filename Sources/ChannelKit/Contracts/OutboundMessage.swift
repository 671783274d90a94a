/// One message to send: a rendered part of a reply, or a quick-reply prompt.
public struct OutboundMessage: Sendable, Hashable, Codable {
    /// The text, already rendered in the channel's dialect and within its limit.
    public var text: String
    /// Quick replies offered with the text, within the profile's limits.
    public var quickReplies: [QuickReply]
    /// The message tag to send it with outside the reply window (`HUMAN_AGENT`); `nil` for
    /// an ordinary reply. Set by the sender at send time, never recorded.
    public var tag: String?
    /// A template to send instead of the text (WhatsApp, outside the reply window); `nil` for
    /// an ordinary reply. Set by the sender at send time, never recorded.
    public var template: MessageTemplate?

    /// Creates a message.
    public init(text: String, quickReplies: [QuickReply] = [], tag: String? = nil, template: MessageTemplate? = nil) {
        self.text = text
        self.quickReplies = quickReplies
        self.tag = tag
        self.template = template
    }
}

/// A button the person can tap instead of typing.
public struct QuickReply: Sendable, Hashable, Codable {
    /// What the button says.
    public var title: String
    /// What comes back when it is tapped.
    public var payload: String

    /// Creates a quick reply.
    public init(title: String, payload: String) {
        self.title = title
        self.payload = payload
    }
}

/// What the platform said about a sent message.
public struct SendReceipt: Sendable, Hashable, Codable {
    /// The platform's id of the sent message, when it returns one.
    public var platformMessageID: String?

    /// Creates a receipt.
    public init(platformMessageID: String?) {
        self.platformMessageID = platformMessageID
    }
}
