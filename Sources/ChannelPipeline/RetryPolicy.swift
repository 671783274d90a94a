import ChannelKit
/// How often and how patiently a transient send failure is retried.
///
/// Delays grow exponentially from ``initialDelay`` up to ``maximumDelay``, with ± ``jitter``
/// spread so that many conversations retrying at once do not move in lockstep. A delay the
/// platform asks for (`Retry-After`) is honoured when it is longer.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first one included.
    public var attempts: Int
    /// The delay after the first failure.
    public var initialDelay: Duration
    /// The longest delay between two attempts.
    public var maximumDelay: Duration
    /// The fraction (0…1) by which a delay is spread at random.
    public var jitter: Double

    /// Creates a policy.
    public init(attempts: Int = 5, initialDelay: Duration = .milliseconds(250), maximumDelay: Duration = .seconds(30), jitter: Double = 0.2) {
        self.attempts = max(1, attempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The delay before attempt `failedAttempt + 1`.
    /// - Parameters:
    ///   - failedAttempt: how many attempts have failed (1 after the first).
    ///   - suggested: a delay the platform asked for, if any.
    public func delay(afterAttempt failedAttempt: Int, suggested: Duration? = nil) -> Duration {
        let base = initialDelay * pow2(max(0, failedAttempt - 1))
        var delay = min(base, maximumDelay)
        if jitter > 0 {
            let factor = Double.random(in: (1 - jitter)...(1 + jitter))
            delay = delay * factor
        }
        if let suggested, suggested > delay { delay = min(suggested, maximumDelay * 4) }
        return delay
    }

    private func pow2(_ n: Int) -> Double {
        var value = 1.0
        for _ in 0..<min(n, 30) { value *= 2 }
        return value
    }
}
