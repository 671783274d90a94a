import ChannelKit
import Foundation

/// An `application/x-www-form-urlencoded` body: every value of every name, in order.
struct AdminForm: Sendable {
    private(set) var fields: [(name: String, value: String)] = []

    /// Parses a body; `nil` when it is not valid percent-encoding or not UTF-8.
    init?(body: [UInt8]) {
        guard let text = String(validating: body, as: UTF8.self) else { return nil }
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]), let value = Self.decode(parts.count > 1 ? parts[1] : "") else { return nil }
            fields.append((name, value))
        }
    }

    /// The first value of `name`.
    subscript(name: String) -> String? {
        fields.first { $0.name == name }?.value
    }

    /// Every value of `name`.
    func all(_ name: String) -> [String] {
        fields.filter { $0.name == name }.map(\.value)
    }

    /// The conversation the form names (`channel`, `account_id`, `user_id`, none empty), or
    /// `nil` when it lacks one of them.
    var conversation: ConversationKey? {
        guard let channel = self["channel"], let account = self["account_id"], let user = self["user_id"],
              !channel.isEmpty, !account.isEmpty, !user.isEmpty else { return nil }
        return ConversationKey(channel: channel, accountID: account, userID: user)
    }

    private static func decode(_ text: Substring) -> String? {
        String(text.replacing("+", with: " ")).removingPercentEncoding
    }
}
