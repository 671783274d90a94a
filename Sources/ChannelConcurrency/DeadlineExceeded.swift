import Synchronization

/// An operation run with ``withDeadline(_:_:)`` took longer than its deadline.
public struct DeadlineExceeded: Error, Sendable {
    /// Creates the error.
    public init() {}
}

/// Runs `operation` in a child task, cancelling it and throwing ``DeadlineExceeded`` if it
/// has not finished within `timeout`.
///
/// The deadline is an entry on `timers`, cancelled as soon as the operation
/// finishes: no timer task, no sleeping task group, nothing that fires later. The calling task
/// itself is never cancelled; only the child running `operation` is. Like a task group, this
/// returns only once the child has finished, so an operation that ignores cancellation delays
/// the error until it returns.
/// - Throws: ``DeadlineExceeded``, or what `operation` threw before the deadline.
public func withDeadline<T: Sendable>(_ timeout: Duration, timers: TimerThread,
                                      _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask {
            let expired = ExpiryFlag()
            // The child cancels itself at the deadline. `cancel` below returns only once a
            // running action finished, so the task reference never outlives the task.
            let token = withUnsafeCurrentTask { task -> TimerThread.Token? in
                guard let task else { return nil }
                let child = UnsafeTaskReference(task: task)
                return timers.schedule(after: timeout) {
                    expired.value.store(true, ordering: .sequentiallyConsistent)
                    child.task.cancel()
                }
            }
            let result: Result<T, any Error>
            do {
                result = .success(try await operation())
            } catch {
                result = .failure(error)
            }
            if let token { timers.cancel(token) }
            if expired.value.load(ordering: .sequentiallyConsistent) { throw DeadlineExceeded() }
            return try result.get()
        }
        guard let result = try await group.next() else { throw DeadlineExceeded() }
        return result
    }
}

/// Set by the timer when a deadline passed.
private final class ExpiryFlag: Sendable {
    let value = Atomic<Bool>(false)
}

/// The running child task, for the timer to cancel. Only used while the task is alive: the
/// task cancels the timer entry (which waits for a running action) before it ends.
private struct UnsafeTaskReference: @unchecked Sendable {
    let task: UnsafeCurrentTask
}
