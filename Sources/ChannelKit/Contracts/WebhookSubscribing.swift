import Logging

/// What subscribing an account to the app's webhooks did.
public struct WebhookSubscription: Sendable, Hashable {
    /// The account subscribed (a Page id, an Instagram account id).
    public var account: String
    /// The webhook fields asked for.
    public var fields: [String]

    /// Creates a result.
    public init(account: String, fields: [String]) {
        self.account = account
        self.fields = fields
    }
}

/// A channel whose platform delivers webhooks for an account only once the app is
/// subscribed to it by an API call (Meta's `subscribed_apps`); the admin portal and
/// `sandra subscribe-webhooks` make that call.
public protocol WebhookSubscribing: Channel {
    /// Subscribes the app to the channel's account.
    /// - Throws: ``ChannelError`` with the platform's reason.
    func subscribeWebhooks(logger: Logger) async throws -> WebhookSubscription
}
