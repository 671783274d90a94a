import ChannelKit

extension MetaGraphSettings {
    /// The admin portal's description of a shared setting: its label, kind, secrecy, default
    /// and help. A channel lists these beside its own fields, in the order it shows them.
    /// - Parameters:
    ///   - key: the shared key.
    ///   - help: the channel's own help text, when the shared one does not say enough (which
    ///     token, which app).
    ///   - defaultValue: the default shown, for ``Key/graphAPIBaseURL`` (none: the channel's host).
    public static func field(_ key: Key, help: String? = nil, defaultValue: String? = nil) -> SettingField {
        let text = help ?? defaultHelp(key)
        return switch key {
        case .accessToken: SettingField(key: key.rawValue, label: "Access Token", isSecret: true, help: text)
        case .verifyToken: SettingField(key: key.rawValue, label: "Verify Token", isSecret: true, help: text)
        case .appSecret: SettingField(key: key.rawValue, label: "App Secret", isSecret: true, help: text)
        case .apiVersion: SettingField(key: key.rawValue, label: "API Version", defaultValue: GraphAPIVersions.recommended, help: text)
        case .graphAPIBaseURL: SettingField(key: key.rawValue, label: "Graph API Base URL", kind: .url, defaultValue: defaultValue, help: text)
        case .appSecretProof: SettingField(key: key.rawValue, label: "App Secret Proof", kind: .boolean, defaultValue: "false", help: text)
        case .appID: SettingField(key: key.rawValue, label: "App ID", help: text)
        }
    }

    /// The webhook's secrets, in the order the portal shows them: the verify token, the app secret.
    public static func webhookFields(appSecretHelp: String? = nil) -> [SettingField] {
        [field(.verifyToken), field(.appSecret, help: appSecretHelp)]
    }

    /// How Graph is called, in the order the portal shows them: the API version, the base URL
    /// (its default shown), `appsecret_proof`.
    public static func graphFields(baseURLDefault: String?) -> [SettingField] {
        [field(.apiVersion), field(.graphAPIBaseURL, defaultValue: baseURLDefault), field(.appSecretProof)]
    }

    private static func defaultHelp(_ key: Key) -> String {
        switch key {
        case .accessToken: "The access token replies are sent with."
        case .verifyToken: "The secret string typed into the App Dashboard's webhook form; the subscription handshake must echo it."
        case .appSecret: "The Meta app secret that signs webhook deliveries (X-Hub-Signature-256); without it every delivery is refused."
        case .apiVersion: "The Graph API version path segment, such as v27.0; one near or past its expiry is warned about at start."
        case .graphAPIBaseURL: "https://graph.facebook.com, or a local emulator."
        case .appSecretProof:
            "true: every Graph call carries appsecret_proof (HMAC-SHA256 of the access token keyed with the app secret), for apps with Require App Secret on."
        case .appID:
            "The Meta app's id. Echoes of the app's own replies carry it; a reply from another app or from a person in Meta's apps pauses Sandra in that conversation. Empty: told apart by the message ids the sends got back."
        }
    }
}
