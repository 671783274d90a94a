import ChannelKit
import Logging
import MetaPlatform

/// Makes Instagram channels (`type: instagram`): Instagram Direct messages through Meta's
/// Graph API, with either Facebook Login (`graph.facebook.com`, a Page token) or Instagram
/// Login (`graph.instagram.com`, an Instagram User token).
///
/// ```swift
/// var registry = ChannelRegistry()
/// registry.register(.instagram)
/// ```
///
/// Settings (`channels.yaml` keys):
/// - `access_token` (secret): the Page or Instagram User access token.
/// - `verify_token` (secret): the token typed into the App Dashboard's webhook form.
/// - `app_secret` (secret): the Meta app secret that signs webhooks. Empty rejects every
///   delivery.
/// - `api_version`: the Graph version, ``GraphAPIVersions/recommended`` (`v27.0`) by default; a
///   version past or within 60 days of its published expiry is warned about at start.
/// - `graph_api_base_url`: `https://graph.facebook.com` by default; `https://graph.instagram.com`
///   for Instagram Login; any URL for an emulator.
/// - `max_message_bytes`: the longest reply part in UTF-8 bytes, 1000 by default.
/// - `story_mention_reply`: what a person who mentions the account in their story is sent
///   (a short thanks); empty by default: story mentions are recorded, not answered.
///
/// In sandbox mode the channel talks to its own emulator (`/sandbox/<name>/graph`) and uses
/// development credentials (`sandbox-app-secret`, `sandbox-verify-token`,
/// `sandbox-access-token`) for any that are not configured.
public struct InstagramChannelFactory: ChannelFactory {
    /// The setting keys. Their spelling is part of the configuration contract.
    public enum Key: String, Sendable, CaseIterable {
        /// The access token.
        case accessToken = "access_token"
        /// The webhook verify token.
        case verifyToken = "verify_token"
        /// The app secret.
        case appSecret = "app_secret"
        /// The Graph API version.
        case apiVersion = "api_version"
        /// The Graph API host.
        case graphAPIBaseURL = "graph_api_base_url"
        /// The text limit in UTF-8 bytes.
        case maxMessageBytes = "max_message_bytes"
        /// The reply to a story mention.
        case storyMentionReply = "story_mention_reply"
    }

    /// The default Graph version.
    public static let defaultAPIVersion = GraphAPIVersions.recommended
    /// The default Graph host (Facebook Login).
    public static let defaultGraphBaseURL = "https://graph.facebook.com"
    /// Instagram's documented text limit.
    public static let defaultMaxMessageBytes = 1000

    /// Creates the factory.
    public init() {}

    /// `instagram`, the `type:` value in `channels.yaml`.
    public var type: String { "instagram" }

    /// The seven settings described above, with labels, kinds, defaults and help.
    public var settingFields: [SettingField] {
        [
            SettingField(key: Key.accessToken.rawValue, label: "Access Token", isSecret: true,
                         help: "Page access token (Facebook Login) or Instagram User access token (Instagram Login) used to send replies."),
            SettingField(key: Key.verifyToken.rawValue, label: "Verify Token", isSecret: true,
                         help: "The secret string typed into the App Dashboard's webhook form; the subscription handshake must echo it."),
            SettingField(key: Key.appSecret.rawValue, label: "App Secret", isSecret: true,
                         help: "The Meta app secret that signs webhook deliveries (X-Hub-Signature-256); without it every delivery is refused."),
            SettingField(key: Key.apiVersion.rawValue, label: "API Version", defaultValue: Self.defaultAPIVersion,
                         help: "The Graph API version path segment, such as v27.0; one near or past its expiry is warned about at start."),
            SettingField(key: Key.graphAPIBaseURL.rawValue, label: "Graph API Base URL", kind: .url, defaultValue: Self.defaultGraphBaseURL,
                         help: "https://graph.facebook.com for Facebook Login, https://graph.instagram.com for Instagram Login, or a local emulator."),
            SettingField(key: Key.maxMessageBytes.rawValue, label: "Max Message Bytes", kind: .integer,
                         defaultValue: String(Self.defaultMaxMessageBytes),
                         help: "The longest reply part, in UTF-8 bytes (Instagram accepts 1000)."),
            SettingField(key: Key.storyMentionReply.rawValue, label: "Story Mention Reply",
                         help: "What a person who mentions the account in their story is sent, such as a short thanks. Empty: story mentions are recorded and not answered."),
        ]
    }

    /// Makes a channel.
    /// - Parameters:
    ///   - name: the configured name, also the webhook path component.
    ///   - settings: the values of ``settingFields``.
    ///   - context: the host's HTTP transport, logger, base URL and sandbox switch.
    /// - Returns: an ``InstagramChannel``.
    /// - Throws: ``ChannelError`` `.misconfigured` for a non-positive `max_message_bytes`, an
    ///   unusable `api_version` or a `graph_api_base_url` that is not http(s). Missing secrets
    ///   only log warnings: the channel then refuses deliveries or fails sends.
    public func makeChannel(name: String, settings: ChannelSettings, context: ChannelContext) throws -> any Channel {
        let configuration = try InstagramConfiguration(name: name, settings: settings, context: context)
        var logger = context.logger
        logger[metadataKey: "channel"] = "\(name)"
        GraphAPIVersions.warnIfAging(configuration.apiVersion, channelType: "instagram", logger: logger)
        if !configuration.sandboxMode {
            if configuration.appSecret.isEmpty {
                logger.warning("instagram: app_secret is empty; every webhook delivery will be refused (403)")
            }
            if configuration.verifyToken.isEmpty {
                logger.warning("instagram: verify_token is empty; the webhook handshake will be refused")
            }
            if configuration.accessToken.isEmpty {
                logger.warning("instagram: access_token is empty; replies cannot be sent")
            }
        } else {
            logger.info("instagram: sandbox mode; Graph calls go to the local emulator", metadata: ["graph.base_url": "\(configuration.graphBaseURL)"])
        }
        return InstagramChannel(name: name, configuration: configuration, context: context)
    }
}

extension ChannelFactory where Self == InstagramChannelFactory {
    /// The Instagram channel type: `registry.register(.instagram)`.
    public static var instagram: Self { InstagramChannelFactory() }
}
