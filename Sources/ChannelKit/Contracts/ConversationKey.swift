import Foundation

/// One conversation: a person talking to one business account on one channel.
///
/// The pipeline processes the events of one conversation one at a time, in platform-timestamp
/// order; different conversations proceed concurrently.
public struct ConversationKey: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The configured channel name.
    public var channel: String
    /// The business account id.
    public var accountID: String
    /// The person's platform-scoped id.
    public var userID: String

    /// Creates a key.
    public init(channel: String, accountID: String, userID: String) {
        self.channel = channel
        self.accountID = accountID
        self.userID = userID
    }

    /// The person as a recipient of replies.
    public var recipient: Recipient { Recipient(accountID: accountID, userID: userID) }

    public var description: String { "\(channel)/\(accountID)/\(userID)" }

    /// The key the conversation's state is kept under in a store's shared state: channel,
    /// account and person, each escaped (`%` → `%25`, `|` → `%7C`) and joined with `|`, so that
    /// the three cannot run into one another.
    public var storeKey: String {
        [channel, accountID, userID]
            .map { $0.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "|", with: "%7C") }
            .joined(separator: "|")
    }

    /// The conversation a ``storeKey`` names, or `nil` for text that is not one.
    public init?(storeKey: String) {
        let parts = storeKey.split(separator: "|", omittingEmptySubsequences: false)
            .map { $0.replacingOccurrences(of: "%7C", with: "|").replacingOccurrences(of: "%25", with: "%") }
        guard parts.count == 3 else { return nil }
        self.init(channel: parts[0], accountID: parts[1], userID: parts[2])
    }

    /// ``storeKey`` as an SQL expression over an inbox row's `channel`, `account_id` and
    /// `sender_id` (SQLite and PostgreSQL alike), for a store that reads shared state in SQL.
    public static let storeKeySQL = ["channel", "account_id", "sender_id"]
        .map { "replace(replace(\($0), '%', '%25'), '|', '%7C')" }.joined(separator: " || '|' || ")
}

/// Who a reply goes to.
public struct Recipient: Sendable, Hashable, Codable {
    /// The business account that sends.
    public var accountID: String
    /// The person's platform-scoped id.
    public var userID: String

    /// Creates a recipient.
    public init(accountID: String, userID: String) {
        self.accountID = accountID
        self.userID = userID
    }
}
