import Foundation

/// What a store does for people's privacy: erasing everything it holds about a person on
/// request (Meta's data deletion and deauthorize callbacks, `sandra erase`), and forgetting
/// the text of old conversations (`storage.retention_days`).
public protocol PrivacyStore: Sendable {
    /// Erases everything held about these identities, in one atomic write, and records the
    /// erasure as `record` with the counts filled in:
    /// - their inbox items keep only their deduplication key: the event becomes
    ///   ``InboundEvent/erased`` (no text, attachments or sender), and an item still
    ///   `received`, `failed` or `processing` becomes `dropped`, so it is never answered;
    /// - the outbox parts answering those items lose their text (``OutboundMessage/withoutContent``);
    /// - their conversation turns, with every business account, are deleted;
    /// - their identity links, pending codes and audit records are deleted, and a profile
    ///   left with no link is deleted (its address with it).
    ///
    /// Erasing an identity the store knows nothing about records the erasure with zero counts.
    /// - Returns: the recorded erasure.
    func erase(_ identities: [ChannelIdentity], recording record: ErasureRecord, at now: Date) async throws -> ErasureRecord

    /// The erasure recorded under a confirmation code, if any.
    func erasure(confirmationCode: String) async throws -> ErasureRecord?

    /// The retention sweep:
    /// - items in a terminal state (`done`, `dead`, `expired`, `ignored`, `dropped`) accepted
    ///   before `textBefore` lose their content (``InboundEvent/withoutContent``), and so do
    ///   the outbox parts answering them;
    /// - conversation turns older than `textBefore` are deleted;
    /// - terminal items accepted before `keysBefore` are deleted with their outbox parts, and
    ///   with them their deduplication keys.
    ///
    /// Items still to be answered are never touched. Running it again changes nothing more.
    /// - Returns: what it changed.
    func sweepRetention(textBefore: Date, keysBefore: Date, at now: Date) async throws -> RetentionSweep
}
