import ChannelKit
import Foundation
import Logging

extension GraphAPIClient {
    /// Refreshes a long-lived Instagram User access token (Instagram Login):
    /// `GET <base>/refresh_access_token?grant_type=ig_refresh_token&access_token=<token>`, with
    /// no version segment, as Meta documents it. The token must be at least 24 hours old and
    /// unexpired; the new one is valid for 60 days from now.
    ///
    /// Source: Meta, "Refresh Access Token" (updated 2025-07-17):
    /// https://developers.facebook.com/documentation/instagram-platform/reference/refresh_access_token
    /// - Returns: the new token and its lifetime (`expires_in`, seconds).
    /// - Throws: ``ChannelError`` classified from Graph's answer; `.permanent` when the answer
    ///   has no token.
    public func refreshInstagramToken(logger: Logger) async throws -> RefreshedAccessToken {
        let url = withProof("\(baseURL)/refresh_access_token?grant_type=ig_refresh_token&access_token="
            + Self.queryEncoded(token))
        let request = OutboundHTTPRequest(method: .get, url: url, headers: [.accept: "application/json"], timeout: timeout,
                                          maxResponseBytes: maxResponseBytes)
        let json = try await perform(request, path: "refresh_access_token", logger: logger)
        guard let refreshed = json["access_token"]?.stringValue, !refreshed.isEmpty else {
            throw ChannelError.permanent("Graph answered refresh_access_token without an access_token")
        }
        let lifetime = json["expires_in"]?.integerValue.map { TimeInterval($0) }
        return RefreshedAccessToken(token: refreshed, expiresIn: lifetime)
    }

    /// The Page access token of `pageID`, read with this client's token (a system-user or user
    /// token with the Page's permissions): `GET /<version>/<page-id>?fields=access_token`.
    /// - Throws: ``ChannelError`` classified from Graph's answer; `.misconfigured` when Graph
    ///   answers without a token (the token may not manage that Page).
    public func pageAccessToken(pageID: String, logger: Logger) async throws -> String {
        let json = try await get("\(pageID)?fields=access_token", logger: logger)
        guard let token = json["access_token"]?.stringValue, !token.isEmpty else {
            throw ChannelError(.misconfigured, "Graph gave no Page access token for page_id \(pageID): the access token must belong to "
                + "someone (or a system user) with a task on that Page, with pages_messaging or instagram_manage_messages")
        }
        return token
    }

    /// Subscribes the app to an account's webhooks: `POST /<version>/<account>/subscribed_apps?subscribed_fields=…`.
    /// - Parameters:
    ///   - account: the Page id (Facebook Login) or Instagram account id (Instagram Login).
    ///   - fields: the webhook fields.
    /// - Throws: ``ChannelError`` classified from Graph's answer; `.permanent` when Graph does
    ///   not answer `{"success": true}`.
    public func subscribeApp(account: String, fields: [String], logger: Logger) async throws {
        let path = "\(account)/subscribed_apps?subscribed_fields=\(fields.joined(separator: ","))"
        let json = try await post(path, body: .object([]), logger: logger)
        guard json["success"]?.boolValue == true else {
            throw ChannelError.permanent("Graph did not confirm the subscription of \(account)")
        }
    }

    /// `text` percent-encoded for a query value.
    static func queryEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
