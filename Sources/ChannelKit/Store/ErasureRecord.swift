import Foundation

/// One erasure of a person's data, as recorded for the status page Meta links to.
///
/// It holds no user id, in clear or hashed: only what the status page shows.
public struct ErasureRecord: Sendable, Hashable, Codable {
    /// The code the person (and Meta) gets back, which finds this record.
    public var confirmationCode: String
    /// Who asked: `data_deletion`, `deauthorize` or `cli`.
    public var source: String
    /// The channels the user id was erased on.
    public var channels: [String]
    /// When the erasure was done.
    public var erasedAt: Date
    /// Inbox items whose content was erased.
    public var inboxItems: Int
    /// Outbox parts whose text was erased.
    public var outboxParts: Int
    /// Conversation turns deleted.
    public var turns: Int
    /// Identity records deleted: links, pending codes, audit records and orphaned profiles.
    public var identityRecords: Int

    /// Creates a record; the counts are usually left at zero for the store to fill in.
    public init(confirmationCode: String, source: String, channels: [String], erasedAt: Date,
                inboxItems: Int = 0, outboxParts: Int = 0, turns: Int = 0, identityRecords: Int = 0) {
        self.confirmationCode = confirmationCode
        self.source = source
        self.channels = channels
        self.erasedAt = erasedAt
        self.inboxItems = inboxItems
        self.outboxParts = outboxParts
        self.turns = turns
        self.identityRecords = identityRecords
    }
}
