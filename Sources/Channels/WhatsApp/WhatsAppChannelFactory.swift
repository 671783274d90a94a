import ChannelKit
import Logging
import MetaPlatform

/// Makes WhatsApp channels (`type: whatsapp`): the WhatsApp Cloud API through Meta's Graph
/// API — webhooks in, `POST /<phone-number-id>/messages` out.
///
/// ```swift
/// var registry = ChannelRegistry()
/// registry.register(.whatsapp)
/// ```
///
/// Settings (`channels.yaml` keys):
/// - `access_token` (secret): a system-user token with `whatsapp_business_messaging`.
/// - `verify_token` (secret): the token typed into the App Dashboard's webhook form.
/// - `app_secret` (secret): the Meta app secret that signs webhooks. Empty rejects every
///   delivery.
/// - `phone_number_id`: the business phone number this channel answers for. Empty answers
///   every number of the app's webhook (each reply goes out from the number it was sent to);
///   set, messages to other numbers are recorded and not answered.
/// - `api_version`: the Graph version, ``GraphAPIVersions/recommended`` (`v27.0`) by default; a
///   version past or within 60 days of its published expiry is warned about at start.
/// - `graph_api_base_url`: `https://graph.facebook.com` by default; any URL for an emulator.
/// - `appsecret_proof`: `true` to send `appsecret_proof` (``AppSecretProof``) on every Graph
///   call, for apps with "Require App Secret" on; `false` by default.
/// - `max_message_characters`: the longest reply part, 4096 by default, counted as Graph
///   counts it: in code points and in UTF-16 code units (a part keeps within both).
///
/// In sandbox mode the channel talks to its own emulator (`/sandbox/<name>/graph`) and uses
/// development credentials (`sandbox-app-secret`, `sandbox-verify-token`,
/// `sandbox-access-token`, phone number id `100000000000001`) for any that are not configured.
public struct WhatsAppChannelFactory: ChannelFactory {
    /// The setting keys. Their spelling is part of the configuration contract.
    public enum Key: String, Sendable, CaseIterable {
        /// The access token.
        case accessToken = "access_token"
        /// The webhook verify token.
        case verifyToken = "verify_token"
        /// The app secret.
        case appSecret = "app_secret"
        /// The business phone number id.
        case phoneNumberID = "phone_number_id"
        /// The Graph API version.
        case apiVersion = "api_version"
        /// The Graph API host.
        case graphAPIBaseURL = "graph_api_base_url"
        /// The text limit in characters.
        case maxMessageCharacters = "max_message_characters"
        /// Whether Graph calls carry `appsecret_proof`.
        case appSecretProof = "appsecret_proof"
    }

    /// The default Graph version.
    public static let defaultAPIVersion = GraphAPIVersions.recommended
    /// The default Graph host.
    public static let defaultGraphBaseURL = "https://graph.facebook.com"
    /// WhatsApp's documented text limit: `text.body` "Maximum 4096 characters".
    public static let defaultMaxMessageCharacters = 4096

    /// Creates the factory.
    public init() {}

    /// `whatsapp`, the `type:` value in `channels.yaml`.
    public var type: String { "whatsapp" }

    /// `WhatsApp`.
    public var displayName: String { "WhatsApp" }

    /// The eight settings described above, with labels, kinds, defaults and help.
    public var settingFields: [SettingField] {
        [
            SettingField(key: Key.accessToken.rawValue, label: "Access Token", isSecret: true,
                         help: "A system-user access token with whatsapp_business_messaging, used to send replies and fetch media."),
            SettingField(key: Key.verifyToken.rawValue, label: "Verify Token", isSecret: true,
                         help: "The secret string typed into the App Dashboard's webhook form; the subscription handshake must echo it."),
            SettingField(key: Key.appSecret.rawValue, label: "App Secret", isSecret: true,
                         help: "The Meta app secret that signs webhook deliveries (X-Hub-Signature-256); without it every delivery is refused."),
            SettingField(key: Key.phoneNumberID.rawValue, label: "Phone Number ID",
                         help: "The business phone number id this channel answers for; empty answers every number the webhook delivers."),
            SettingField(key: Key.apiVersion.rawValue, label: "API Version", defaultValue: Self.defaultAPIVersion,
                         help: "The Graph API version path segment, such as v27.0; one near or past its expiry is warned about at start."),
            SettingField(key: Key.graphAPIBaseURL.rawValue, label: "Graph API Base URL", kind: .url, defaultValue: Self.defaultGraphBaseURL,
                         help: "https://graph.facebook.com, or a local emulator."),
            SettingField(key: Key.appSecretProof.rawValue, label: "App Secret Proof", kind: .boolean, defaultValue: "false",
                         help: "true: every Graph call carries appsecret_proof (HMAC-SHA256 of the access token keyed with the app secret), for apps with Require App Secret on."),
            SettingField(key: Key.maxMessageCharacters.rawValue, label: "Max Message Characters", kind: .integer,
                         defaultValue: String(Self.defaultMaxMessageCharacters),
                         help: "The longest reply part (WhatsApp accepts 4096), counted in code points and UTF-16 units as Graph counts."),
        ]
    }

    /// Makes a channel.
    /// - Parameters:
    ///   - name: the configured name, also the webhook path component.
    ///   - settings: the values of ``settingFields``.
    ///   - context: the host's HTTP transport, logger, base URL and sandbox switch.
    /// - Returns: a ``WhatsAppChannel``.
    /// - Throws: ``ChannelError`` `.misconfigured` for a non-positive `max_message_characters`,
    ///   an unusable `api_version` or `phone_number_id`, or a `graph_api_base_url` that is not
    ///   http(s). Missing secrets only log warnings: the channel then refuses deliveries or
    ///   fails sends.
    public func makeChannel(name: String, settings: ChannelSettings, context: ChannelContext) throws -> any Channel {
        let configuration = try WhatsAppConfiguration(name: name, settings: settings, context: context)
        var logger = context.logger
        logger[metadataKey: "channel"] = "\(name)"
        GraphAPIVersions.warnIfAging(configuration.apiVersion, channelType: "whatsapp", logger: logger)
        if !configuration.sandboxMode {
            if configuration.appSecret.isEmpty {
                logger.warning("whatsapp: app_secret is empty; every webhook delivery will be refused (403)")
            }
            if configuration.verifyToken.isEmpty {
                logger.warning("whatsapp: verify_token is empty; the webhook handshake will be refused")
            }
            if configuration.accessToken.isEmpty {
                logger.warning("whatsapp: access_token is empty; replies cannot be sent")
            }
            if configuration.phoneNumberID.isEmpty {
                logger.info("whatsapp: phone_number_id is empty; answering every phone number the webhook delivers")
            }
        } else {
            logger.info("whatsapp: sandbox mode; Graph calls go to the local emulator", metadata: ["graph.base_url": "\(configuration.graphBaseURL)"])
        }
        return WhatsAppChannel(name: name, configuration: configuration, context: context)
    }
}

extension ChannelFactory where Self == WhatsAppChannelFactory {
    /// The WhatsApp channel type: `registry.register(.whatsapp)`.
    public static var whatsapp: Self { WhatsAppChannelFactory() }
}
