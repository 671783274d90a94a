import PostgresNIO
import Synchronization

/// Leasing a connection from the pool, with a bound on the wait and one on the work.
///
/// postgres-nio's pool queues a request until a connection is free or a new one is made, and
/// keeps retrying to connect while the server is down: a request could wait for minutes. A
/// request still waiting after the first bound is cancelled (the pool drops it), and the
/// caller gets ``Timeout``. Once leased, statements are bounded by the server's
/// `statement_timeout`, and a connection lost mid-way fails at once — but a call caught by a
/// server killed in the middle of a transaction has been seen never to return, even once the
/// server was back. Work still running after the second bound is abandoned: the caller gets
/// ``Abandoned`` and goes on, and the stuck call keeps its connection for as long as it hangs.
enum ConnectionLease {
    /// No connection was leased within the bound.
    struct Timeout: Error {}

    /// The work on a leased connection did not finish within the bound, and was left running.
    struct Abandoned: Error {}

    static func run<Value: Sendable>(_ client: PostgresClient, waitingAtMost wait: Duration, workingAtMost work: Duration,
                                     _ body: @escaping @Sendable (PostgresConnection) async throws -> Value) async throws -> Value {
        let race = Race<Value>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                race.begin(continuation)
                let worker = Task {
                    do {
                        let value = try await client.withConnection { connection in
                            race.leased()
                            return try await body(connection)
                        }
                        race.finish(.success(value))
                    } catch {
                        race.finish(.failure(error))
                    }
                }
                let timer = Task {
                    do { try await Task.sleep(for: wait) } catch { return }
                    if !race.isLeased {
                        if race.finish(.failure(Timeout())) { worker.cancel() }
                        return
                    }
                    do { try await Task.sleep(for: work) } catch { return }
                    race.finish(.failure(Abandoned()))
                }
                race.track(worker: worker, timer: timer)
            }
        } onCancel: {
            race.cancel()
        }
    }

    /// The work, its timer and the caller's continuation: whichever ends first resumes it, once.
    private final class Race<Value: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<Value, any Error>?
            var leased = false
            var finished = false
            var cancelled = false
            var worker: Task<Void, Never>?
            var timer: Task<Void, Never>?
        }

        private let state = Mutex(State())

        func begin(_ continuation: CheckedContinuation<Value, any Error>) {
            state.withLock { $0.continuation = continuation }
        }

        func leased() {
            state.withLock { $0.leased = true }
        }

        var isLeased: Bool { state.withLock { $0.leased } }

        /// Keeps the tasks, to cancel them; a race already over cancels the timer (and, when
        /// the caller was cancelled, the work) at once.
        func track(worker: Task<Void, Never>, timer: Task<Void, Never>) {
            let (finished, cancelled) = state.withLock { state in
                state.worker = worker
                state.timer = timer
                return (state.finished, state.cancelled)
            }
            if finished { timer.cancel() }
            if cancelled { worker.cancel() }
        }

        /// Resumes the caller with `result` unless it was resumed already.
        /// - Returns: whether this call resumed it.
        @discardableResult
        func finish(_ result: Result<Value, any Error>) -> Bool {
            let (continuation, timer) = state.withLock { state -> (CheckedContinuation<Value, any Error>?, Task<Void, Never>?) in
                guard !state.finished else { return (nil, nil) }
                state.finished = true
                defer { state.continuation = nil }
                return (state.continuation, state.timer)
            }
            guard let continuation else { return false }
            timer?.cancel()
            continuation.resume(with: result)
            return true
        }

        /// The caller was cancelled: the work is cancelled too, and ends the race with its error.
        func cancel() {
            let worker = state.withLock { state -> Task<Void, Never>? in
                state.cancelled = true
                return state.worker
            }
            worker?.cancel()
        }
    }
}
