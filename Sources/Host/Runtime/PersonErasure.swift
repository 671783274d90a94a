import ChannelKit
import Foundation
import Logging

/// Erases a person's data on some channels and records the erasure under a fresh
/// confirmation code: what Meta's data deletion and deauthorize callbacks and `sandra erase`
/// share.
struct PersonErasure: Sendable {
    let store: any PrivacyStore

    /// Who asked for an erasure.
    enum Source: String, Sendable {
        case dataDeletion = "data_deletion"
        case deauthorize
        case cli
    }

    /// Erases `userID` on each of `channels`.
    /// - Returns: the recorded erasure, with its counts.
    func erase(userID: String, channels: [String], source: Source, logger: Logger, at now: Date = Date()) async throws -> ErasureRecord {
        let record = ErasureRecord(confirmationCode: Self.newConfirmationCode(), source: source.rawValue, channels: channels, erasedAt: now)
        let erased = try await store.erase(channels.map { ChannelIdentity(channel: $0, userID: userID) }, recording: record, at: now)
        // No user id and no confirmation code in the log: the counts say what happened.
        logger.notice("a person's data was erased", metadata: [
            "source": "\(source.rawValue)", "channels": "\(channels.joined(separator: ","))",
            "inbox_items": "\(erased.inboxItems)", "outbox_parts": "\(erased.outboxParts)", "turns": "\(erased.turns)",
            "identity_records": "\(erased.identityRecords)",
        ])
        return erased
    }

    /// 20 random bytes (from the system's secure generator) as 40 lowercase hex digits.
    static func newConfirmationCode() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<20).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}
