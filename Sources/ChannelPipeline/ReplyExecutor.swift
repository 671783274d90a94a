import ChannelKit
import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The threads replies are made on, apart from the threads that acknowledge webhooks.
///
/// Acknowledging a webhook is a few short steps; answering a message is many more (store
/// writes, the assistant, rendering, sends). On one shared pool of threads, which runs what is
/// queued first come, first served, every step of an acknowledgement waits behind the reply
/// steps already queued: with dozens of conversations in flight, milliseconds per step. The
/// pipeline's reply tasks prefer these threads instead (task executor preference), so
/// acknowledgements never queue behind them; on Linux the threads also run at a lower
/// scheduling priority (nice ``niceness``), so when the CPUs are short the acknowledgements go
/// first and the replies, durable in the inbox, take what is left.
///
/// The host makes one per process (one thread per CPU) and passes it to its pipeline; the
/// threads live as long as the process.
public final class ReplyExecutor: TaskExecutor, Sendable {
    /// How much lower than the rest of the process the threads' scheduling priority is (Linux).
    static let niceness: Int32 = 5

    private struct State {
        var jobs: [UnownedJob] = []
        var head = 0
        /// Threads waiting on `wake` (or about to).
        var sleeping = 0
    }

    private let state = Mutex(State())
    /// Signalled once for every sleeping thread that work arrived for.
    private let wake = DispatchSemaphore(value: 0)
    /// Marks this executor's own threads (see ``enqueue(_:)``): one marker per executor, so
    /// that a thread of another executor in the process never counts as one of these.
    private let ownThread = ThreadMarker()

    /// Starts `threads` threads (at least one).
    public init(threads: Int) {
        for index in 0..<max(1, threads) {
            let thread = Thread { [self] in
                ownThread.markCurrentThread()
                run()
            }
            thread.name = "reply-\(index)"
            thread.start()
        }
    }

    /// Queues a job. A job queued by one of the executor's own threads (a reply starting a
    /// child task, or resuming one) wakes no sleeping thread when it is the only one waiting:
    /// the queuing thread takes it as soon as its current job suspends, which is at once in
    /// practice, and a wake-up would cost two context switches for nothing. Anything more
    /// waiting, or a job from any other thread (the store's writer, an event loop), wakes one.
    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let fromOwnThread = ownThread.isCurrentThreadMarked
        let signal = state.withLock { state -> Bool in
            state.jobs.append(unowned)
            guard state.sleeping > 0 else { return false }
            if fromOwnThread && state.jobs.count - state.head == 1 { return false }
            state.sleeping -= 1
            return true
        }
        if signal { wake.signal() }
    }

    private func run() {
        #if os(Linux)
        // Linux keeps the nice value per thread; 0 means the calling thread. Relative to the
        // thread that made this one (the process's), so a host started with `nice` keeps the gap.
        errno = 0
        let base = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, min(19, (errno == 0 ? base : 0) + Self.niceness))
        #endif
        let executor = asUnownedTaskExecutor()
        while true {
            let next = state.withLock { state -> UnownedJob? in
                guard state.head < state.jobs.count else {
                    state.jobs.removeAll(keepingCapacity: true)
                    state.head = 0
                    state.sleeping += 1
                    return nil
                }
                let job = state.jobs[state.head]
                state.head += 1
                if state.head > 1024 && state.head * 2 > state.jobs.count {
                    state.jobs.removeFirst(state.head)
                    state.head = 0
                }
                return job
            }
            if let next {
                next.runSynchronously(on: executor)
            } else {
                wake.wait()
            }
        }
    }
}

/// Tells the threads that called ``markCurrentThread()`` from all others, without locking.
private final class ThreadMarker: Sendable {
    #if canImport(Glibc)
    private let key: pthread_key_t

    init() {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "no thread-specific key available")
        self.key = key
    }

    func markCurrentThread() {
        _ = pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
    }

    var isCurrentThreadMarked: Bool { pthread_getspecific(key) != nil }
    #else
    init() {}
    func markCurrentThread() {}
    var isCurrentThreadMarked: Bool { false }
    #endif
}
