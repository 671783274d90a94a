import ChannelKit
import Foundation
import Logging
import MetaPlatform

// MARK: - Test connection, token refresh and webhook subscription, per login

extension InstagramChannel: AccessTokenRefreshing, WebhookSubscribing {
    /// The webhook fields the channel answers: messages (with story mentions and replies) and
    /// postbacks (quick-reply and button taps).
    public static let webhookFields = ["messages", "messaging_postbacks"]

    /// Asks Graph whose token this is — `GET /<version>/me?fields=user_id,username` (Instagram
    /// Login) or `GET /<version>/me?fields=id,name,category` (Facebook Login, after the
    /// Page-token exchange when `page_id` is set) — and refuses the wrong kind of token with a
    /// message that names the right one.
    /// - Throws: ``ChannelError`` `.misconfigured` for a token of the other login, or a user or
    ///   system-user token where Facebook Login needs a Page token; otherwise Graph's error.
    public func checkConnection(logger: Logger) async throws -> ConnectionCheck? {
        let login = configuration.login
        if !configuration.sandboxMode, let other = login.mismatch(of: configuration.accessToken) {
            throw ChannelError(.misconfigured, Self.wrongLoginMessage(login: login, tokenLogin: other))
        }
        switch login {
        case .instagram:
            return try await graph.checkConnection(path: "me?fields=user_id,username", logger: logger)
        case .facebook:
            if let pageTokens {
                let client = try await pageTokens.client(from: graph, logger: logger)
                let check = try await client.checkConnection(path: "me?fields=id,name", logger: logger)
                return ConnectionCheck(account: check.account + " (Page token exchanged for page_id \(pageTokens.pageID))",
                                       accountID: check.accountID)
            }
            do {
                // Only a Page has `category`: any other token's `me` refuses the field.
                return try await graph.checkConnection(path: "me?fields=id,name,category", logger: logger)
            } catch let error as ChannelError where error.platformCode == 100 && error.message.contains("nonexisting field (category)") {
                throw ChannelError(.misconfigured, Self.notPageTokenMessage, platformCode: 100)
            }
        }
    }

    /// Says that the token belongs to the other login, and which token this one needs.
    static func wrongLoginMessage(login: GraphLogin, tokenLogin: GraphLogin) -> String {
        switch login {
        case .instagram:
            "This is a Facebook access token (it starts with EAA), but login is instagram: Instagram Login sends through "
                + "graph.instagram.com with an Instagram User access token (it starts with IG; App Dashboard › Instagram › "
                + "API setup with Instagram login › Generate access tokens). Paste that token, or set login: facebook."
        case .facebook:
            "This is an Instagram User access token (it starts with IG), but login is facebook: Facebook Login sends through "
                + "graph.facebook.com with a Page access token. Paste the Page's token (or a system-user token with page_id set), "
                + "or set login: instagram."
        }
    }

    /// Says that Facebook Login needs a Page token, and how to get one.
    static let notPageTokenMessage = "This is a user or system-user access token, not a Page access token: Instagram via Facebook Login "
        + "sends /me/messages with the Page's access token. Set page_id to the Facebook Page's id (the host then exchanges this "
        + "token for the Page's with GET /<page-id>?fields=access_token), or paste the Page access token."

    // MARK: AccessTokenRefreshing

    /// Instagram Login tokens on a live channel; never Facebook Login's Page tokens.
    public var refreshesAccessToken: Bool { configuration.login == .instagram && !configuration.sandboxMode }

    /// `access_token`.
    public var accessTokenSettingKey: String { MetaGraphSettings.Key.accessToken.rawValue }

    /// 60 days: what a long-lived Instagram User token lives, from its issue or last refresh.
    public var accessTokenLifetime: TimeInterval { 60 * 86_400 }

    /// 24 hours: Meta refreshes only tokens at least this old.
    public var accessTokenMinimumRefreshAge: TimeInterval { 86_400 }

    /// `GET <graph.instagram.com>/refresh_access_token?grant_type=ig_refresh_token`.
    /// - Throws: ``ChannelError`` `.misconfigured` for Facebook Login; otherwise Graph's error.
    public func refreshAccessToken(logger: Logger) async throws -> RefreshedAccessToken {
        guard configuration.login == .instagram else {
            throw ChannelError(.misconfigured, "only Instagram Login tokens are refreshed; Page tokens do not expire this way")
        }
        return try await graph.refreshInstagramToken(logger: logger)
    }

    // MARK: WebhookSubscribing

    /// Subscribes the app to the account's `messages` and `messaging_postbacks` webhooks:
    /// `POST /<page-id or me>/subscribed_apps` with the Page token (Facebook Login), or
    /// `POST /<IG user id>/subscribed_apps` on graph.instagram.com, the id read from
    /// `GET /me?fields=user_id` (Instagram Login).
    /// - Throws: ``ChannelError`` from Graph.
    public func subscribeWebhooks(logger: Logger) async throws -> WebhookSubscription {
        let fields = Self.webhookFields
        switch configuration.login {
        case .facebook:
            let client = try await sendingClient(logger: logger)
            let account = configuration.pageID.isEmpty ? "me" : configuration.pageID
            try await client.subscribeApp(account: account, fields: fields, logger: logger)
            return WebhookSubscription(account: account, fields: fields)
        case .instagram:
            let me = try await graph.get("me?fields=user_id,username", logger: logger)
            guard let account = me["user_id"]?.idValue ?? me["id"]?.idValue, !account.isEmpty else {
                throw ChannelError.permanent("Graph answered me without the Instagram account's user_id")
            }
            try await graph.subscribeApp(account: account, fields: fields, logger: logger)
            return WebhookSubscription(account: account, fields: fields)
        }
    }
}
