import ChannelKit
import Foundation
import MetaPlatform

/// The credentials an emulator holds the channel to: the access token Graph calls must carry
/// and the app secret deliveries are signed with — the channel's own, or the development ones
/// a Meta channel uses in sandbox mode for any that are not configured (see the factories).
public struct SandboxCredentials: Sendable {
    /// The development access token (the one Meta channels default to in sandbox mode).
    public static let developmentAccessToken = MetaGraphSettings.SandboxCredentials.accessToken
    /// The development app secret (the one Meta channels default to in sandbox mode).
    public static let developmentAppSecret = MetaGraphSettings.SandboxCredentials.appSecret

    /// The access token.
    public var accessToken: String
    /// The app secret.
    public var appSecret: String

    /// Reads `access_token` and `app_secret`, with the development values when empty.
    public init(settings: ChannelSettings) {
        accessToken = settings.sandboxValue("access_token", default: Self.developmentAccessToken)
        appSecret = settings.sandboxValue("app_secret", default: Self.developmentAppSecret)
    }
}

extension ChannelSettings {
    /// The trimmed value of `key`, or `fallback` when it is empty.
    public func sandboxValue(_ key: String, default fallback: String) -> String {
        let value = MetaGraphSettings.value(key, in: self)
        return value.isEmpty ? fallback : value
    }
}
