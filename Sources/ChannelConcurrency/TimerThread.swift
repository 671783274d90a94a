import Dispatch
import Foundation
import Synchronization

/// Runs short actions at deadlines, on one thread of its own, and lets them be cancelled
/// cheaply before they fire.
///
/// Every message the pipeline answers sets several deadlines — the typing indicator's delay,
/// the assistant's timeout, each HTTP call's — and almost all of them are cancelled within
/// milliseconds because the work finished first. `Task.sleep` in a child task costs a task,
/// a timer in the global executor that still fires (and wakes a thread) long after the sleep
/// was cancelled, and a task group to race it. Here a deadline is an entry in a table;
/// cancelling removes it, and the thread only wakes when the earliest deadline it knew of
/// when it went to sleep has passed (then it takes what is due and sleeps again).
///
/// Actions run on the timer thread, one at a time, and must be short: cancel a task, resume
/// a continuation, start a task. ``cancel(_:)`` waits for an action that is running to
/// finish, so once it returns the action has either run completely or will never run.
///
/// The host makes one per process and passes it to what sets deadlines (the pipeline, the
/// media fetcher, its HTTP transport); the thread lives as long as the process.
public final class TimerThread: Sendable {
    /// A scheduled action.
    public struct Token: Sendable {
        fileprivate let id: UInt64
        /// Settled by ``cancel(_:)`` itself, so a cancel that races with the thread taking the
        /// entry still waits for (or prevents) its action.
        fileprivate let entry: Entry
    }

    fileprivate final class Entry: Sendable {
        let deadline: UInt64
        private let action: @Sendable () -> Void
        /// `true` once the action ran or the entry was cancelled.
        private let settled = Mutex(false)

        init(deadline: UInt64, action: @escaping @Sendable () -> Void) {
            self.deadline = deadline
            self.action = action
        }

        /// Runs the action unless cancelled first.
        func fire() {
            settled.withLock { settled in
                guard !settled else { return }
                settled = true
                action()
            }
        }

        /// Settles the entry; `true` when the action had not run (and now never will).
        func cancel() -> Bool {
            settled.withLock { settled in
                defer { settled = true }
                return !settled
            }
        }
    }

    private struct State {
        var nextID: UInt64 = 0
        var entries: [UInt64: Entry] = [:]
        /// When the thread will wake by itself (`nil`: only when signalled).
        var wakesAt: UInt64?
        /// The thread has been signalled and has not woken yet.
        var signalled = false
    }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    /// Starts the timer thread.
    public init() {
        let thread = Thread { [self] in run() }
        thread.name = "sandra-timers"
        thread.start()
    }

    /// Runs `action` on the timer thread once `delay` has passed, unless cancelled first.
    public func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) -> Token {
        // Durations beyond a few centuries count as "never".
        let seconds = max(0, delay.components.seconds)
        let nanoseconds: UInt64 = seconds >= 1 << 32 ? UInt64.max
            : UInt64(seconds) * 1_000_000_000 + UInt64(max(0, delay.components.attoseconds) / 1_000_000_000)
        let (sum, overflow) = DispatchTime.now().uptimeNanoseconds.addingReportingOverflow(nanoseconds)
        let deadline = overflow ? UInt64.max : sum
        let entry = Entry(deadline: deadline, action: action)
        let (token, signal) = state.withLock { state -> (Token, Bool) in
            state.nextID += 1
            state.entries[state.nextID] = entry
            // Wake the thread only when it would sleep past this deadline.
            let needsWake = !state.signalled && (state.wakesAt.map { deadline < $0 } ?? true)
            if needsWake { state.signalled = true }
            return (Token(id: state.nextID, entry: entry), needsWake)
        }
        if signal { wake.signal() }
        return token
    }

    /// Cancels an action. Returns `true` when it had not run and never will; `false` when it
    /// has run (if it was running, this returns once it finished).
    @discardableResult
    public func cancel(_ token: Token) -> Bool {
        _ = state.withLock { $0.entries.removeValue(forKey: token.id) }
        // The entry itself decides: the thread may have taken it from the table already and
        // be about to run it; then this waits for the action, or the action never runs.
        return token.entry.cancel()
    }

    private func run() {
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            let due = state.withLock { state -> [Entry] in
                state.signalled = false
                var due: [Entry] = []
                var earliest: UInt64?
                for (id, entry) in state.entries {
                    if entry.deadline <= now {
                        due.append(entry)
                        state.entries[id] = nil
                    } else if entry.deadline < earliest ?? .max {
                        earliest = entry.deadline
                    }
                }
                state.wakesAt = earliest
                return due
            }
            for entry in due.sorted(by: { $0.deadline < $1.deadline }) { entry.fire() }
            let wakesAt = state.withLock { $0.wakesAt }
            if let wakesAt {
                _ = wake.wait(timeout: DispatchTime(uptimeNanoseconds: wakesAt))
            } else {
                wake.wait()
            }
        }
    }
}
