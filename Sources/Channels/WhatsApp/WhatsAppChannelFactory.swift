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
/// - `reengagement_template`: the name of an approved message template sent when a reply is
///   due after the 24-hour customer-service window has closed; the reply itself goes when the
///   person writes again. Empty (the default): such a reply is not sent.
/// - `reengagement_template_language`: the template's language code, `en_US` by default.
/// - `reengagement_template_parameters`: the texts of the template body's `{{1}}`, `{{2}}`, …,
///   separated by `|`; empty for a template without parameters.
///
/// In sandbox mode the channel talks to its own emulator (`/sandbox/<name>/graph`) and uses
/// development credentials (`sandbox-app-secret`, `sandbox-verify-token`,
/// `sandbox-access-token`, phone number id `100000000000001`) for any that are not configured.
public struct WhatsAppChannelFactory: ChannelFactory {
    /// WhatsApp's own setting keys; the shared ones are ``MetaGraphSettings/Key``. Their
    /// spelling is part of the configuration contract.
    public enum Key: String, Sendable, CaseIterable {
        /// The business phone number id.
        case phoneNumberID = "phone_number_id"
        /// The text limit in characters.
        case maxMessageCharacters = "max_message_characters"
        /// The re-engagement template's name.
        case reengagementTemplate = "reengagement_template"
        /// The re-engagement template's language code.
        case reengagementTemplateLanguage = "reengagement_template_language"
        /// The re-engagement template's body parameters, `|`-separated.
        case reengagementTemplateParameters = "reengagement_template_parameters"
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

    /// The default language of the re-engagement template.
    public static let defaultTemplateLanguage = "en_US"

    /// The eleven settings described above, with labels, kinds, defaults and help.
    public var settingFields: [SettingField] {
        [
            MetaGraphSettings.field(.accessToken, help: "A system-user access token with whatsapp_business_messaging, used to send replies and fetch media."),
        ] + MetaGraphSettings.webhookFields() + [
            SettingField(key: Key.phoneNumberID.rawValue, label: "Phone Number ID",
                         help: "The business phone number id this channel answers for; empty answers every number the webhook delivers."),
        ] + MetaGraphSettings.graphFields(baseURLDefault: Self.defaultGraphBaseURL) + [
            SettingField(key: Key.maxMessageCharacters.rawValue, label: "Max Message Characters", kind: .integer,
                         defaultValue: String(Self.defaultMaxMessageCharacters),
                         help: "The longest reply part (WhatsApp accepts 4096), counted in code points and UTF-16 units as Graph counts."),
            SettingField(key: Key.reengagementTemplate.rawValue, label: "Re-engagement Template",
                         help: "An approved template sent when a reply is due after the 24-hour window closed; the reply follows when the person writes again. Empty: such replies are not sent."),
            SettingField(key: Key.reengagementTemplateLanguage.rawValue, label: "Re-engagement Template Language",
                         defaultValue: Self.defaultTemplateLanguage, help: "The template's language code, such as en_US."),
            SettingField(key: Key.reengagementTemplateParameters.rawValue, label: "Re-engagement Template Parameters",
                         help: "The texts of the template body's {{1}}, {{2}}, … separated by |; empty for none."),
        ]
    }

    /// What is wrong with a re-engagement template setting (its name, language code or an
    /// empty parameter); `nil` for every other key.
    public func problem(with value: String, forKey key: String) -> String? {
        WhatsAppConfiguration.problem(with: value, forKey: key)
    }

    /// Makes a channel.
    /// - Parameters:
    ///   - name: the configured name, also the webhook path component.
    ///   - settings: the values of ``settingFields``.
    ///   - context: the host's HTTP transport, logger, base URL and sandbox switch.
    /// - Returns: a ``WhatsAppChannel``.
    /// - Throws: ``ChannelError`` `.misconfigured` for a non-positive `max_message_characters`,
    ///   an unusable `api_version` or `phone_number_id`, a `graph_api_base_url` that is not
    ///   http(s), or a re-engagement template name or language WhatsApp would not take. Missing
    ///   secrets only log warnings: the channel then refuses deliveries or fails sends.
    public func makeChannel(name: String, settings: ChannelSettings, context: ChannelContext) throws -> any Channel {
        let configuration = try WhatsAppConfiguration(name: name, settings: settings, context: context)
        if let logger = configuration.graph.logStartup(channelType: type, name: name, context: context), configuration.phoneNumberID.isEmpty {
            logger.info("whatsapp: phone_number_id is empty; answering every phone number the webhook delivers")
        }
        return WhatsAppChannel(name: name, configuration: configuration, context: context)
    }
}

extension ChannelFactory where Self == WhatsAppChannelFactory {
    /// The WhatsApp channel type: `registry.register(.whatsapp)`.
    public static var whatsapp: Self { WhatsAppChannelFactory() }
}
