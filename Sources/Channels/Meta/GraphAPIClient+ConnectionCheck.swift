import ChannelKit
import Logging

extension GraphAPIClient {
    /// Reads the account behind the access token: `GET /<version>/<path>` (`me`, or a WhatsApp
    /// phone number id), described by whichever of `verified_name`, `display_phone_number`,
    /// `name`, `username` and `id` Graph returns.
    /// - Throws: ``ChannelError`` classified from Graph's error (`.unauthorized` for code 190).
    public func checkConnection(path: String, logger: Logger) async throws -> ConnectionCheck {
        let json = try await get(path, logger: logger)
        let id = json["id"]?.stringValue ?? json["user_id"]?.stringValue
        var parts: [String] = []
        if let name = json["verified_name"]?.stringValue ?? json["name"]?.stringValue, !name.isEmpty { parts.append(name) }
        if let phone = json["display_phone_number"]?.stringValue, !phone.isEmpty { parts.append(phone) }
        if let username = json["username"]?.stringValue, !username.isEmpty { parts.append("@" + username) }
        if parts.isEmpty, let id { parts.append("account \(id)") }
        guard !parts.isEmpty else {
            throw ChannelError(.permanent, "Graph answered \(path) without an account id")
        }
        return ConnectionCheck(account: parts.joined(separator: " · "), accountID: id)
    }
}
