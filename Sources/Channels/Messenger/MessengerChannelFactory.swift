import ChannelKit
import Logging
import MetaPlatform

/// Makes Messenger channels (`type: messenger`): a Facebook Page's Messenger conversations
/// through the Messenger Platform — webhooks in (`object: page`), the Send API out.
///
/// ```swift
/// var registry = ChannelRegistry()
/// registry.register(.messenger)
/// ```
///
/// Settings (`channels.yaml` keys):
/// - `access_token` (secret): the Page access token (`pages_messaging`).
/// - `verify_token` (secret): the token typed into the App Dashboard's webhook form.
/// - `app_secret` (secret): the Meta app secret that signs webhooks. Empty rejects every
///   delivery.
/// - `page_id`: the Facebook Page's id; replies go to `/<page-id>/messages` and Subscribe to
///   webhooks subscribes it. Empty: `me`, the Page of the access token.
/// - `api_version`: the Graph version, ``GraphAPIVersions/recommended`` (`v27.0`) by default; a
///   version past or within 60 days of its published expiry is warned about at start.
/// - `graph_api_base_url`: `https://graph.facebook.com` by default; any URL for an emulator.
/// - `appsecret_proof`: `true` to send `appsecret_proof` (``AppSecretProof``) on every Graph
///   call, for apps with "Require App Secret" on; `false` by default.
/// - `max_message_characters`: the longest reply part, 2000 by default, counted in code points
///   and in UTF-16 code units (a part keeps within both).
/// - `human_agent_tag`: `true` when the app has Meta's Human Agent permission: replies due 24
///   hours to 7 days after the person's last message go tagged `HUMAN_AGENT` (``HumanAgentTag``);
///   `false` by default: such replies are not sent.
///
/// In sandbox mode the channel talks to the local emulator at `/sandbox/<name>` (the host's
/// `Sandbox` module) with the public development credentials for any that are not configured,
/// which the host serves on loopback only.
public struct MessengerChannelFactory: ChannelFactory {
    /// Messenger's own setting keys; the shared ones are ``MetaGraphSettings/Key``. Their
    /// spelling is part of the configuration contract.
    public enum Key: String, Sendable, CaseIterable {
        /// The Facebook Page's id.
        case pageID = "page_id"
        /// The text limit in characters.
        case maxMessageCharacters = "max_message_characters"
    }

    /// The default Graph host.
    public static let defaultGraphBaseURL = "https://graph.facebook.com"
    /// Messenger's text limit: `message.text` takes 2000 characters.
    public static let defaultMaxMessageCharacters = 2000

    /// Creates the factory.
    public init() {}

    /// `messenger`, the `type:` value in `channels.yaml`.
    public var type: String { "messenger" }

    /// The nine settings described above, with labels, kinds, defaults and help.
    public var settingFields: [SettingField] {
        [
            MetaGraphSettings.field(.accessToken, help: "The Facebook Page's access token (pages_messaging), used to send replies."),
            SettingField(key: Key.pageID.rawValue, label: "Page ID",
                         help: "The Facebook Page's id: replies go to /<page-id>/messages and Subscribe to webhooks subscribes it. Empty: the Page of the access token (me)."),
        ] + MetaGraphSettings.webhookFields() + [MetaGraphSettings.field(.appID)]
          + MetaGraphSettings.graphFields(baseURLDefault: Self.defaultGraphBaseURL) + [
            SettingField(key: Key.maxMessageCharacters.rawValue, label: "Max Message Characters", kind: .integer,
                         defaultValue: String(Self.defaultMaxMessageCharacters),
                         help: "The longest reply part (Messenger accepts 2000), counted in code points and UTF-16 units; longer replies are split."),
            HumanAgentTag.field,
        ]
    }

    /// Makes a Messenger channel named `name` (its webhook path) from the values of
    /// ``settingFields`` and what the host lends (``ChannelContext``).
    /// - Throws: ``ChannelError`` `.misconfigured` for a non-positive `max_message_characters`, a
    ///   `page_id` that is not numeric, an
    ///   unusable `api_version`, or a `graph_api_base_url` that is not http(s). Missing secrets
    ///   only log warnings: the channel then refuses deliveries or fails sends.
    public func makeChannel(name: String, settings: ChannelSettings, context: ChannelContext) throws -> any Channel {
        let configuration = try MessengerConfiguration(name: name, settings: settings, context: context)
        configuration.graph.logStartup(channelType: type, name: name, context: context)
        return MessengerChannel(name: name, configuration: configuration, context: context)
    }
}

extension ChannelFactory where Self == MessengerChannelFactory {
    /// The Messenger channel type: `registry.register(.messenger)`.
    public static var messenger: Self { MessengerChannelFactory() }
}
