/// How long after a person's last message a platform takes free-form replies, and what it
/// takes once that window has closed: a capability, as data, in ``ChannelProfile/replyWindow``.
///
/// WhatsApp takes free-form messages for 24 hours after the person last wrote, then only a
/// pre-approved template; Instagram and Messenger take replies for 24 hours, then — for an app
/// with the Human Agent permission — replies tagged `HUMAN_AGENT` for up to 7 days.
public struct ReplyWindow: Sendable, Hashable, Codable {
    /// How long after the person's last message free-form replies are taken.
    public var length: Duration
    /// What the channel may send once the window has closed.
    public var outside: Outside

    /// What a channel may send outside the window.
    public enum Outside: Sendable, Hashable, Codable {
        /// Nothing: a reply due outside the window is not sent.
        case nothing
        /// One template message that invites the person back (WhatsApp); the reply itself
        /// goes once the person writes again.
        case template(MessageTemplate)
        /// The reply itself, tagged (`HUMAN_AGENT`), until `until` after the person's last message.
        case tagged(tag: String, until: Duration)
    }

    /// Creates a window.
    public init(length: Duration = .seconds(24 * 3600), outside: Outside = .nothing) {
        self.length = length
        self.outside = outside
    }
}

/// A template message a platform delivers outside the reply window (a WhatsApp message
/// template): its approved name, its language, and the texts of its body's parameters.
public struct MessageTemplate: Sendable, Hashable, Codable {
    /// The template's name as approved (`reengagement`).
    public var name: String
    /// The template's language code (`en_US`).
    public var language: String
    /// The texts of the body's `{{1}}`, `{{2}}`, … in order.
    public var parameters: [String]

    /// Creates a template.
    public init(name: String, language: String, parameters: [String] = []) {
        self.name = name
        self.language = language
        self.parameters = parameters
    }
}
