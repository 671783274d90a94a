import ChannelKit
import SQLiteNIO
import Synchronization

/// One unit of work for a connection's worker, type-erased.
///
/// `run` may be called more than once (a batch whose transaction SQLite rolled back as a
/// whole is run again without the job that failed), so it keeps its result in a box that
/// the last run overwrites; `finish` is called exactly once and resumes the caller.
struct Job: Sendable {
    let run: @Sendable (SQLiteConnection) async throws -> Void
    let finish: @Sendable ((any Error)?) -> Void
}

/// Holds the result of a job's latest run until its caller is resumed.
private final class ResultBox<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)

    func set(_ newValue: Value) { value.withLock { $0 = newValue } }
    func take() -> Value? { value.withLock { $0.take() } }
}

/// The queue between callers and the single task that owns a connection.
///
/// Callers enqueue jobs and suspend; the worker takes *every* queued job at once with
/// ``nextBatch()``, runs them, and resumes their callers. Nothing else touches the
/// connection, so transactions never interleave, whatever the callers' concurrency.
final class JobQueue: Sendable {
    private struct State {
        var jobs: [Job] = []
        var waiter: CheckedContinuation<[Job]?, Never>?
        var closed = false
    }

    private let state = Mutex(State())

    /// Runs `body` on the worker's connection and returns its result once the worker
    /// resumes the caller (for the writer: after the batch's COMMIT).
    func submit<Value: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) async throws -> Value) async throws -> Value {
        let box = ResultBox<Value>()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
            let job = Job(
                run: { connection in box.set(try await body(connection)) },
                finish: { error in
                    if let error {
                        continuation.resume(throwing: error)
                    } else if let value = box.take() {
                        continuation.resume(returning: value)
                    } else {
                        continuation.resume(throwing: StoreError(.unavailable, "a store job finished without a result"))
                    }
                }
            )
            let outcome: (accepted: Bool, wake: CheckedContinuation<[Job]?, Never>?) = state.withLock { state in
                guard !state.closed else { return (false, nil) }
                if let waiter = state.waiter {
                    state.waiter = nil
                    return (true, waiter)
                }
                state.jobs.append(job)
                return (true, nil)
            }
            if !outcome.accepted {
                job.finish(StoreError(.unavailable, "the store is closed"))
            } else if let wake = outcome.wake {
                wake.resume(returning: [job])
            }
        }
    }

    /// Every job queued so far, waiting for one when none is; `nil` once closed and drained.
    func nextBatch() async -> [Job]? {
        await withCheckedContinuation { (continuation: CheckedContinuation<[Job]?, Never>) in
            let ready: [Job]?? = state.withLock { state in
                if !state.jobs.isEmpty {
                    let jobs = state.jobs
                    state.jobs = []
                    return .some(jobs)
                }
                if state.closed { return .some(nil) }
                state.waiter = continuation
                return .none
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Refuses new jobs; the worker still drains those already queued.
    func close() {
        let waiter = state.withLock { state in
            state.closed = true
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: nil)
    }
}
