import Foundation
import Synchronization

/// A clock tests move by hand: pass ``now`` wherever a component takes its clock.
///
/// ```swift
/// let clock = TestClock()
/// let flow = IdentityLinkFlow(store: store, mailer: mailer, now: clock.now)
/// clock.advance(by: 601)    // the code has expired
/// ```
public final class TestClock: Sendable {
    private let current: Mutex<Date>

    /// Creates a clock at `start` (by default 2025-10-09T08:53:20Z, a whole millisecond).
    public init(_ start: Date = Date(timeIntervalSince1970: 1_760_000_000)) {
        current = Mutex(start)
    }

    /// The clock as a function.
    public var now: @Sendable () -> Date {
        { [self] in time }
    }

    /// The time now.
    public var time: Date { current.withLock { $0 } }

    /// Moves the clock forward.
    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}
