import Synchronization

/// Whether the server answers now, for a readiness check that may be asked often: a call
/// that succeeded within ``fresh`` answers at once; otherwise one check runs (callers that
/// come meanwhile wait for it), and its result is reused for ``reuse``.
///
/// So a host under load never checks (its calls succeed), an idle one checks at most once a
/// ``reuse``, and a server that is down costs one check at a time, however many ask.
final class ReachabilityProbe: Sendable {
    /// How recent a successful call must be to count as an answer.
    let fresh: Duration
    /// How long a check's result is reused.
    let reuse: Duration

    private struct State {
        var lastSuccess: ContinuousClock.Instant?
        var lastCheck: (at: ContinuousClock.Instant, problem: String?)?
        var running: Task<String?, Never>?
    }

    private let state = Mutex(State())

    init(fresh: Duration = .seconds(2), reuse: Duration = .seconds(1)) {
        self.fresh = fresh
        self.reuse = reuse
    }

    /// A call to the server succeeded.
    func succeeded() {
        let now = ContinuousClock.now
        state.withLock { $0.lastSuccess = now }
    }

    /// `nil` when the server answers, else why it does not; `check` asks it (and returns the
    /// problem), when nothing recent says.
    func problem(checkingWith check: @escaping @Sendable () async -> String?) async -> String? {
        let now = ContinuousClock.now
        enum Next {
            case answer(String?)
            case wait(Task<String?, Never>)
        }
        let next: Next = state.withLock { state in
            if let success = state.lastSuccess, now - success < fresh,
               state.lastCheck.map({ $0.problem == nil || $0.at < success }) ?? true {
                return .answer(nil)
            }
            if let last = state.lastCheck, now - last.at < reuse { return .answer(last.problem) }
            if let running = state.running { return .wait(running) }
            let task = Task {
                let problem = await check()
                let finished = ContinuousClock.now
                self.state.withLock { state in
                    state.lastCheck = (finished, problem)
                    state.running = nil
                }
                return problem
            }
            state.running = task
            return .wait(task)
        }
        switch next {
        case .answer(let problem): return problem
        case .wait(let task): return await task.value
        }
    }
}
