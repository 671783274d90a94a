import ChannelKit
import Logging

/// Makes example webhook channels (`type: webhook`).
///
/// ```swift
/// var registry = ChannelRegistry()
/// registry.register(.webhook)
/// ```
///
/// Settings (`channels.yaml` keys):
/// - `signing_secret` (secret): the HMAC-SHA256 key of `X-Signature`. Empty refuses every delivery.
/// - `reply_url`: where replies are posted.
/// - `access_token` (secret): the bearer token sent with replies.
/// - `max_message_characters`: the longest reply part, 2000 characters by default.
public struct ExampleWebhookChannelFactory: ChannelFactory {
    /// The setting keys.
    public enum Key: String, Sendable, CaseIterable {
        /// The signing secret.
        case signingSecret = "signing_secret"
        /// Where replies go.
        case replyURL = "reply_url"
        /// The bearer token of replies.
        case accessToken = "access_token"
        /// The text limit in characters.
        case maxMessageCharacters = "max_message_characters"
    }

    /// The default text limit.
    public static let defaultMaxMessageCharacters = 2000

    /// Creates the factory.
    public init() {}

    /// `webhook`, the `type:` value in `channels.yaml`.
    public var type: String { "webhook" }

    /// `Webhook`.
    public var displayName: String { "Webhook" }

    /// The four settings described above.
    public var settingFields: [SettingField] {
        [
            SettingField(key: Key.signingSecret.rawValue, label: "Signing Secret", isSecret: true,
                         help: "The HMAC-SHA256 key deliveries are signed with (X-Signature: sha256=<hex>)."),
            SettingField(key: Key.replyURL.rawValue, label: "Reply URL", kind: .url,
                         help: "Where replies are POSTed as {\"to\", \"text\"}."),
            SettingField(key: Key.accessToken.rawValue, label: "Access Token", isSecret: true,
                         help: "The bearer token sent with every reply."),
            SettingField(key: Key.maxMessageCharacters.rawValue, label: "Max Message Characters", kind: .integer,
                         defaultValue: String(Self.defaultMaxMessageCharacters),
                         help: "The longest reply part, in characters."),
        ]
    }

    /// Makes a channel.
    /// - Throws: ``ChannelError`` `.misconfigured` for a non-positive `max_message_characters`.
    public func makeChannel(name: String, settings: ChannelSettings, context: ChannelContext) throws -> any Channel {
        let configuration = try ExampleWebhookConfiguration(settings: settings)
        if configuration.signingSecret.isEmpty {
            context.logger.warning("webhook: signing_secret is empty; every delivery will be refused (403)")
        }
        if configuration.replyURL.isEmpty {
            context.logger.warning("webhook: reply_url is empty; replies cannot be sent")
        }
        return ExampleWebhookChannel(name: name, configuration: configuration, http: context.http)
    }
}

extension ChannelFactory where Self == ExampleWebhookChannelFactory {
    /// The example webhook channel type: `registry.register(.webhook)`.
    public static var webhook: Self { ExampleWebhookChannelFactory() }
}
