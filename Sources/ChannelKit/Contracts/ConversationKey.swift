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
