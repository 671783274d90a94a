import Foundation
import Logging

/// A new access token from the platform, and how long it lives.
public struct RefreshedAccessToken: Sendable, Hashable {
    /// The new token. A secret: never logged.
    public var token: String
    /// Seconds until it expires, when the platform said.
    public var expiresIn: TimeInterval?

    /// Creates a refreshed token.
    public init(token: String, expiresIn: TimeInterval?) {
        self.token = token
        self.expiresIn = expiresIn
    }
}

/// A channel whose access token expires and can be exchanged for a fresh one before it does
/// (an Instagram Login token lives 60 days, and can be refreshed once it is a day old).
///
/// The host refreshes such tokens itself: it saves the new token as it saves a value typed
/// in the admin portal (sealed), and serves the channel with it.
///
/// ```swift
/// if let refreshing = channel as? any AccessTokenRefreshing, refreshing.refreshesAccessToken {
///     let fresh = try await refreshing.refreshAccessToken(logger: logger)
/// }
/// ```
public protocol AccessTokenRefreshing: Channel {
    /// Whether this channel's token is one to refresh (a channel type may refresh for one
    /// login and not another, and never in sandbox mode).
    var refreshesAccessToken: Bool { get }
    /// The setting that holds the token (`access_token`).
    var accessTokenSettingKey: String { get }
    /// How long a token lives from when it was issued or refreshed.
    var accessTokenLifetime: TimeInterval { get }
    /// How old a token must be before the platform refreshes it.
    var accessTokenMinimumRefreshAge: TimeInterval { get }

    /// Asks the platform for a fresh token in exchange for the current one.
    /// - Throws: ``ChannelError`` with the platform's reason.
    func refreshAccessToken(logger: Logger) async throws -> RefreshedAccessToken
}
