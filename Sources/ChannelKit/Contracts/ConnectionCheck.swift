/// What a platform said about a channel's credentials: the account they belong to.
///
/// The admin portal's "Test connection" shows it.
public struct ConnectionCheck: Sendable, Hashable {
    /// The account, for people: a name, a username or a phone number.
    public var account: String
    /// The platform's id of the account, when it gave one.
    public var accountID: String?

    /// Creates a result.
    public init(account: String, accountID: String? = nil) {
        self.account = account
        self.accountID = accountID
    }
}
