/// Counts the texts a sandbox's emulated send API recorded and lets requests wait for a
/// number of them: the `min_texts` long poll of `GET /api/outbox`, so that a test waits for
/// an event instead of sleeping.
///
/// It is a value kept inside the sandbox's actor; the actor supplies the timer:
///
/// ```swift
/// func waitForTexts(_ minimum: Int, timeout: Duration) async {
///     guard let id = waiters.reserve(minimum) else { return }        // already there
///     let timer = Task { try? await Task.sleep(for: timeout); self.releaseWaiter(id) }
///     await withTaskCancellationHandler {                            // a shutdown ends the wait
///         await withCheckedContinuation { continuation in
///             if Task.isCancelled { continuation.resume() } else { waiters.park(id, minimum: minimum, continuation) }
///         }
///     } onCancel: { Task { await self.releaseWaiter(id) } }
///     timer.cancel()
/// }
/// ```
public struct SandboxTextWaiters: Sendable {
    /// Texts recorded since the last reset.
    public private(set) var textsSent = 0
    private var waiters: [Int: (minimum: Int, continuation: CheckedContinuation<Void, Never>)] = [:]
    private var nextID = 0

    /// Creates an empty counter.
    public init() {}

    /// An id for a new waiter, or `nil` when `minimum` texts were already recorded.
    public mutating func reserve(_ minimum: Int) -> Int? {
        guard textsSent < minimum else { return nil }
        nextID += 1
        return nextID
    }

    /// Parks a waiter until `minimum` texts are recorded or it is released.
    public mutating func park(_ id: Int, minimum: Int, _ continuation: CheckedContinuation<Void, Never>) {
        if textsSent >= minimum {
            continuation.resume()
        } else {
            waiters[id] = (minimum, continuation)
        }
    }

    /// Resumes a waiter now (its timeout passed); does nothing when it already returned.
    public mutating func release(_ id: Int) {
        waiters.removeValue(forKey: id)?.continuation.resume()
    }

    /// Counts one more text and resumes the waiters it satisfies.
    public mutating func recorded() {
        textsSent += 1
        for (id, waiter) in waiters where waiter.minimum <= textsSent {
            waiters.removeValue(forKey: id)
            waiter.continuation.resume()
        }
    }

    /// Starts counting from zero; waiters keep waiting for their number.
    public mutating func reset() {
        textsSent = 0
    }
}
