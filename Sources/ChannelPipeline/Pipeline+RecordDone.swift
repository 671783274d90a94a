import ChannelKit
import Foundation
import Logging

// MARK: - Recording what was done (a part sent, an event answered) through an outage of the store.

extension Pipeline {
    /// What ``recordDone(_:logger:_:)`` came to.
    enum RecordOutcome: Sendable, Equatable {
        /// Written.
        case recorded
        /// Another worker took the event over: this one must stop.
        case leaseLost
        /// Not written: the store refused it for good, or the work was cancelled (a shutdown, a
        /// lost lease); logged.
        case abandoned
    }

    /// Writes what was already done — a part the platform accepted, an event answered — and,
    /// while the store is unreachable, writes it again after pauses growing to a second, for as
    /// long as the work runs: given up, the part would stay pending and be sent a second time
    /// once the store is back, and the unfinished event would hold its conversation until its
    /// lease lapsed. The lease keeper runs meanwhile; once another worker takes the event
    /// over, the work is cancelled, or the write is refused as `leaseLost`.
    func recordDone(_ what: String, logger: Logger, _ write: @Sendable () async throws -> Void) async -> RecordOutcome {
        var pause = Duration.milliseconds(100)
        var failures = 0
        while true {
            do {
                try await write()
                if failures > 0 {
                    logger.info("recorded once the store answered again", metadata: ["what": "\(what)", "failures": "\(failures)"])
                }
                return .recorded
            } catch let error as StoreError where error.code == .leaseLost {
                return .leaseLost
            } catch let error as StoreError where error.code == .unavailable {
                if failures == 0 {
                    logger.warning("store unavailable; recording again until it answers", metadata: ["what": "\(what)", "error": "\(error)"])
                }
                failures += 1
                do { try await Task.sleep(for: pause) } catch {
                    logger.warning("not recorded: the work was stopped", metadata: ["what": "\(what)"])
                    return .abandoned
                }
                pause = min(pause * 2, .seconds(1))
            } catch {
                logger.warning("not recorded", metadata: ["what": "\(what)", "error": "\(error)"])
                return .abandoned
            }
        }
    }
}
