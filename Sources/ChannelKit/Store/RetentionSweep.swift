/// What one retention sweep changed (``PrivacyStore/sweepRetention(textBefore:keysBefore:at:)``).
public struct RetentionSweep: Sendable, Hashable {
    /// Inbox items whose content was removed.
    public var inboxItemsRedacted: Int
    /// Outbox parts whose text was removed.
    public var outboxPartsRedacted: Int
    /// Conversation turns deleted.
    public var turnsDeleted: Int
    /// Inbox items deleted with their deduplication keys.
    public var inboxItemsDeleted: Int

    /// Creates a summary.
    public init(inboxItemsRedacted: Int = 0, outboxPartsRedacted: Int = 0, turnsDeleted: Int = 0, inboxItemsDeleted: Int = 0) {
        self.inboxItemsRedacted = inboxItemsRedacted
        self.outboxPartsRedacted = outboxPartsRedacted
        self.turnsDeleted = turnsDeleted
        self.inboxItemsDeleted = inboxItemsDeleted
    }

    /// Whether the sweep changed anything.
    public var isEmpty: Bool {
        inboxItemsRedacted == 0 && outboxPartsRedacted == 0 && turnsDeleted == 0 && inboxItemsDeleted == 0
    }
}
