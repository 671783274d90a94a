import ChannelKit

/// The example channel's resolved settings.
struct ExampleWebhookConfiguration: Sendable {
    /// The secret deliveries are signed with.
    var signingSecret: String
    /// Where replies are posted.
    var replyURL: String
    /// The bearer token sent with replies.
    var accessToken: String
    /// The longest reply part, in characters.
    var maxMessageCharacters: Int

    /// Reads settings.
    /// - Throws: ``ChannelError`` `.misconfigured` for a non-positive `max_message_characters`.
    init(settings: ChannelSettings) throws {
        typealias Key = ExampleWebhookChannelFactory.Key
        signingSecret = settings.string(Key.signingSecret.rawValue)
        replyURL = settings.string(Key.replyURL.rawValue)
        accessToken = settings.string(Key.accessToken.rawValue)
        maxMessageCharacters = settings.integer(Key.maxMessageCharacters.rawValue, default: ExampleWebhookChannelFactory.defaultMaxMessageCharacters)
        guard maxMessageCharacters > 0 else {
            throw ChannelError(.misconfigured, "max_message_characters must be a positive number")
        }
    }
}
