import ChannelKit
import Foundation
import Logging
import ServiceLifecycle

/// Applies `storage.retention_days`: at start-up and then every `interval`, answered
/// messages and replies older than the retention lose their text, older conversation turns
/// are deleted, and deduplication keys older than `max(retention_days, 7)` days are deleted.
struct RetentionService: Service {
    let store: any PrivacyStore
    let retentionDays: Int
    let interval: Duration
    let logger: Logger

    /// How often the sweep runs while the host runs.
    static let defaultInterval: Duration = .seconds(3600)

    /// The cutoffs at `now`: text before `now - retention_days`, keys before `now - max(retention_days, 7)`.
    static func cutoffs(retentionDays: Int, at now: Date) -> (textBefore: Date, keysBefore: Date) {
        let day: TimeInterval = 86_400
        return (now.addingTimeInterval(-Double(retentionDays) * day),
                now.addingTimeInterval(-Double(max(retentionDays, StorageConfiguration.minimumKeyDays)) * day))
    }

    /// One sweep at `now`; failures are logged, and the next sweep tries again.
    @discardableResult
    func sweepOnce(at now: Date = Date()) async -> RetentionSweep? {
        let cutoffs = Self.cutoffs(retentionDays: retentionDays, at: now)
        do {
            let sweep = try await store.sweepRetention(textBefore: cutoffs.textBefore, keysBefore: cutoffs.keysBefore, at: now)
            if !sweep.isEmpty {
                logger.info("retention sweep", metadata: [
                    "retention_days": "\(retentionDays)", "inbox_items_redacted": "\(sweep.inboxItemsRedacted)",
                    "outbox_parts_redacted": "\(sweep.outboxPartsRedacted)", "turns_deleted": "\(sweep.turnsDeleted)",
                    "inbox_items_deleted": "\(sweep.inboxItemsDeleted)",
                ])
            }
            return sweep
        } catch {
            logger.error("retention sweep failed; the next one tries again", metadata: ["error": "\(error)"])
            return nil
        }
    }

    func run() async throws {
        let worker = Task { [self] in
            while !Task.isCancelled {
                await sweepOnce()
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
        try? await gracefulShutdown()
        worker.cancel()
        await worker.value
    }
}
