import Foundation
import Synchronization

/// Per-channel pauses: after the platform refused a channel's credentials, sends on that
/// channel wait instead of burning retries.
final class ChannelGate: Sendable {
    private let pausedUntil = Mutex<[String: Date]>([:])

    /// Until when the channel is paused, if it is paused at `now`.
    func pause(of channel: String, at now: Date) -> Date? {
        pausedUntil.withLock { paused in
            guard let until = paused[channel] else { return nil }
            if until <= now { return nil }
            return until
        }
    }

    /// Pauses the channel until `until`.
    func pause(_ channel: String, until: Date) {
        pausedUntil.withLock { $0[channel] = until }
    }

    /// Lifts a pause (a send went through).
    func resume(_ channel: String) {
        pausedUntil.withLock { _ = $0.removeValue(forKey: channel) }
    }
}
