import ChannelKit
import Foundation
import Logging
import ServiceLifecycle

/// Refreshes ``InboxGauges`` from the store every `interval` (one aggregate query, never per
/// message) while the host runs; a failed read is logged once until reads work again, and the
/// gauges keep their last values.
struct InboxGaugeService: Service {
    let store: any InboxStore
    let gauges: InboxGauges
    let interval: Duration
    let logger: Logger

    /// How often the gauges are refreshed.
    static let defaultInterval: Duration = .seconds(5)

    /// Reads the store and sets the gauges once.
    /// - Returns: whether the store could be read.
    @discardableResult
    func refreshOnce(at now: @Sendable () -> Date = { Date() }) async -> Bool {
        do {
            let summaries = try await store.inboxSummary(states: InboxGauges.queriedStates)
            gauges.update(from: summaries, at: now())
            return true
        } catch {
            return false
        }
    }

    func run() async throws {
        let worker = Task { [self] in
            var failing = false
            while !Task.isCancelled {
                let worked = await refreshOnce()
                if !worked, !failing { logger.warning("the inbox gauges could not be read from the store; they keep their last values") }
                failing = !worked
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
        try? await gracefulShutdown()
        worker.cancel()
        await worker.value
    }
}
