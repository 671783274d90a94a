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
/// - `login`: `facebook` (Instagram API with Facebook Login: a Page access token on
///   `graph.facebook.com`) or `instagram` (Instagram API with Instagram Login: an Instagram
///   User access token on `graph.instagram.com`, refreshed by the host before it expires).
///   Empty: `instagram` when `graph_api_base_url` is `graph.instagram.com`, else `facebook`.
/// - `access_token` (secret): the Page (or system-user, with `page_id`) or Instagram User access token.
/// - `page_id`: Facebook Login only: the Facebook Page's id. With it, the access token may be
///   a system-user token: the channel exchanges it for the Page's token
///   (`GET /<page-id>?fields=access_token`), and `subscribed_apps` subscribes that Page.
/// - `verify_token` (secret): the token typed into the App Dashboard's webhook form.
/// - `app_secret` (secret): the app secret that signs webhooks — the Meta app's for Facebook
///   Login, the Instagram app's for Instagram Login. Empty rejects every delivery.
/// - `appsecret_proof`: `true` to send `appsecret_proof` (``AppSecretProof``) on every Graph
///   call, for apps with "Require App Secret" on; `false` by default.
/// - `api_version`: the Graph version, ``GraphAPIVersions/recommended`` (`v27.0`) by default; a
///   version past or within 60 days of its published expiry is warned about at start.
/// - `graph_api_base_url`: the login's host by default; any URL for an emulator.
/// - `max_message_bytes`: the longest reply part in UTF-8 bytes, 1000 by default.
/// - `story_mention_reply`: what a person who mentions the account in their story is sent
///   (a short thanks); empty by default: story mentions are recorded, not answered.
/// - `human_agent_tag`: `true` when the app has Meta's Human Agent permission: replies due 24
///   hours to 7 days after the person's last message go tagged `HUMAN_AGENT` (``HumanAgentTag``);
///   `false` by default: such replies are not sent.
///
/// In sandbox mode the channel talks to its own emulator (`/sandbox/<name>/graph`) and uses
/// development credentials (`sandbox-app-secret`, `sandbox-verify-token`,
/// `sandbox-access-token`) for any that are not configured.
public struct InstagramChannelFactory: ChannelFactory {
    /// Instagram's own setting keys; the shared ones are ``MetaGraphSettings/Key``. Their
    /// spelling is part of the configuration contract.
    public enum Key: String, Sendable, CaseIterable {
        /// Which login the token comes from.
        case login
        /// The text limit in UTF-8 bytes.
        case maxMessageBytes = "max_message_bytes"
        /// The reply to a story mention.
        case storyMentionReply = "story_mention_reply"
        /// The Facebook Page's id (Facebook Login).
        case pageID = "page_id"
    }

    /// The default Graph version.
    public static let defaultAPIVersion = GraphAPIVersions.recommended
    /// The default Graph host (Facebook Login's; Instagram Login's is `https://graph.instagram.com`).
    public static let defaultGraphBaseURL = GraphLogin.facebook.defaultBaseURL
    /// Instagram's documented text limit.
    public static let defaultMaxMessageBytes = 1000

    /// Creates the factory.
    public init() {}

    /// `instagram`, the `type:` value in `channels.yaml`.
    public var type: String { "instagram" }

    /// The eleven settings described above, with labels, kinds, defaults and help.
    public var settingFields: [SettingField] {
        [
            SettingField(key: Key.login.rawValue, label: "Login",
                         help: "facebook (Instagram API with Facebook Login: a Page access token, graph.facebook.com) or instagram (Instagram API with Instagram Login: an Instagram User access token, graph.instagram.com, refreshed by the host). Empty: instagram when the Graph API Base URL is graph.instagram.com, else facebook."),
            MetaGraphSettings.field(.accessToken, help: "Page access token (Facebook Login; or a system-user token with Page ID set) or Instagram User access token (Instagram Login) used to send replies."),
            SettingField(key: Key.pageID.rawValue, label: "Page ID",
                         help: "Facebook Login only: the Facebook Page's id. With it the access token may be a system-user token, exchanged for the Page's token; it is also the Page that Subscribe to webhooks subscribes."),
            MetaGraphSettings.field(.verifyToken),
            MetaGraphSettings.field(.appSecret, help: "The app secret that signs webhook deliveries (X-Hub-Signature-256): the Meta app's (Facebook Login) or the Instagram app's (Instagram Login). Without it every delivery is refused."),
            MetaGraphSettings.field(.appID),
            MetaGraphSettings.field(.appSecretProof),
            MetaGraphSettings.field(.apiVersion),
            MetaGraphSettings.field(.graphAPIBaseURL, help: "Empty: the login's host (https://graph.facebook.com for Facebook Login, https://graph.instagram.com for Instagram Login); or a local emulator."),
            SettingField(key: Key.maxMessageBytes.rawValue, label: "Max Message Bytes", kind: .integer,
                         defaultValue: String(Self.defaultMaxMessageBytes),
                         help: "The longest reply part, in UTF-8 bytes (Instagram accepts 1000)."),
            SettingField(key: Key.storyMentionReply.rawValue, label: "Story Mention Reply",
                         help: "What a person who mentions the account in their story is sent, such as a short thanks. Empty: story mentions are recorded and not answered."),
            HumanAgentTag.field,
        ]
    }

    /// Makes a channel.
    /// - Parameters:
    ///   - name: the configured name, also the webhook path component.
    ///   - settings: the values of ``settingFields``.
    ///   - context: the host's HTTP transport, logger, base URL and sandbox switch.
    /// - Returns: an ``InstagramChannel``.
    /// - Throws: ``ChannelError`` `.misconfigured` for a non-positive `max_message_bytes`, an
    ///   unusable `api_version`, a `login` other than `facebook` or `instagram`, a `page_id`
    ///   with Instagram Login, or a `graph_api_base_url` that is not http(s). Missing secrets
    ///   only log warnings: the channel then refuses deliveries or fails sends.
    public func makeChannel(name: String, settings: ChannelSettings, context: ChannelContext) throws -> any Channel {
        let configuration = try InstagramConfiguration(name: name, settings: settings, context: context)
        if let logger = configuration.graph.logStartup(channelType: type, name: name, context: context), let other = configuration.login.mismatch(of: configuration.accessToken) {
            logger.warning("instagram: access_token looks like a \(other.rawValue)-login token, but login is \(configuration.login.rawValue), which sends with \(configuration.login.tokenName)")
        }
        return InstagramChannel(name: name, configuration: configuration, context: context)
    }
}

extension ChannelFactory where Self == InstagramChannelFactory {
    /// The Instagram channel type: `registry.register(.instagram)`.
    public static var instagram: Self { InstagramChannelFactory() }
}
