/// Which of Meta's logins a channel's access token comes from, and so which Graph host it
/// calls and which token it needs.
///
/// | | ``instagram`` | ``facebook`` |
/// |---|---|---|
/// | Meta's name | Instagram API with Instagram Login | Instagram API with Facebook Login (Messenger Platform) |
/// | Host | `https://graph.instagram.com` | `https://graph.facebook.com` |
/// | Token | Instagram User access token (`IG…`), 60 days, refreshable | Page access token (`EAA…`) |
///
/// Source: Meta, "Set up Instagram Webhooks" (updated 2026-10-20), its table of API setups:
/// https://developers.facebook.com/documentation/instagram-platform/webhooks/setup
///
/// ```swift
/// GraphLogin(setting: "instagram")?.defaultBaseURL   // "https://graph.instagram.com"
/// ```
public enum GraphLogin: String, Sendable, Hashable, CaseIterable {
    /// Instagram API with Instagram Login.
    case instagram
    /// Instagram API with Facebook Login: a Facebook Page linked to the Instagram account.
    case facebook

    /// Reads a `login:` setting; `nil` for anything but `instagram` or `facebook`.
    public init?(setting: String) {
        self.init(rawValue: setting.lowercased())
    }

    /// The Graph host this login's tokens are valid on.
    public var defaultBaseURL: String {
        switch self {
        case .instagram: "https://graph.instagram.com"
        case .facebook: "https://graph.facebook.com"
        }
    }

    /// The login a configured Graph host implies: `graph.instagram.com` is Instagram Login,
    /// anything else Facebook Login.
    public static func implied(byBaseURL baseURL: String) -> GraphLogin {
        baseURL.lowercased().contains("://graph.instagram.com") ? .instagram : .facebook
    }

    /// The token the login sends with, for people.
    public var tokenName: String {
        switch self {
        case .instagram: "an Instagram User access token"
        case .facebook: "a Page access token"
        }
    }

    /// Whether `token` is plainly the other login's kind: Facebook tokens start with `EAA`,
    /// Instagram User tokens with `IG`.
    /// - Returns: the login the token belongs to, when it is not this one; `nil` when it may be this one's.
    public func mismatch(of token: String) -> GraphLogin? {
        switch self {
        case .instagram: token.hasPrefix("EAA") ? .facebook : nil
        case .facebook: token.hasPrefix("IG") ? .instagram : nil
        }
    }
}
