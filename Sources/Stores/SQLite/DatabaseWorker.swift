import ChannelKit
import Dispatch
import Foundation
import Logging
import Synchronization

/// One unit of work for a worker, type-erased.
///
/// `run` may be called more than once (when a job of the same write batch fails after
/// writing, the transaction is rolled back and the others run again without it), so it keeps
/// its result in a box that the last run overwrites; `finish` is called exactly once and
/// resumes the caller.
struct Job: Sendable {
    /// Whether the caller may be resumed only once the write is on disk. A batch of jobs that
    /// are all not durable commits without an fsync (`synchronous=NORMAL`): a process crash
    /// keeps it, a power cut may lose it, and the next durable commit makes it durable too.
    let durable: Bool
    let run: @Sendable (Database) throws -> Void
    let finish: @Sendable ((any Error)?) -> Void
}

/// Holds the result of a job's latest run until its caller is resumed.
private final class ResultBox<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)

    func set(_ newValue: Value) { value.withLock { $0 = newValue } }
    func take() -> Value? { value.withLock { $0.take() } }
}

/// The writer: a thread of its own that owns the writing ``Database`` connection and runs the
/// jobs callers submit, each as one blocking call: no statement waits for another thread.
///
/// Callers enqueue a job and suspend; the thread takes *every* queued job at once, runs
/// them, and resumes their callers. Nothing else touches the connection, so transactions
/// never interleave, whatever the callers' concurrency.
///
/// - Each batch runs in one `BEGIN IMMEDIATE … COMMIT` (group commit) and resumes
///   the callers only after the COMMIT: a caller never returns before its write is durable,
///   and a burst of N concurrent writes costs one fsync instead of N. Only a batch made of
///   jobs submitted as not durable (claims: losing one loses nothing) commits without one. A job that throws
///   without having changed a row fails alone; one that throws after writing (or an error
///   after which SQLite rolled the transaction back) rolls the batch back, and the other jobs
///   run again without it, so one bad job never fails the others.
/// Reads do not come here: see ``ReaderPool``.
final class DatabaseWorker: Sendable {

    private struct State {
        var jobs: [Job] = []
        /// The thread found nothing to do and waits (or is about to wait) on `wake`.
        var sleeping = false
        var closed = false
        var finished = false
        var finishWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let logger: Logger
    private let state = Mutex(State())
    /// Signalled once for every time the thread goes to sleep and work (or closing) arrives.
    private let wake = DispatchSemaphore(value: 0)
    private let commits = Atomic<Int>(0)

    private init(logger: Logger) {
        self.logger = logger
    }

    /// Starts the thread, opens the connection on it and runs `setUp` (pragmas, migrations).
    /// - Throws: what opening or `setUp` threw; the thread has ended and the connection is closed.
    static func start(path: String, logger: Logger,
                      setUp: @escaping @Sendable (Database) throws -> Void) async throws -> DatabaseWorker {
        let worker = DatabaseWorker(logger: logger)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                worker.serve(path: path, setUp: setUp, started: { continuation.resume(with: $0) })
                worker.markFinished()
            }
            thread.name = "sqlite-writer"
            thread.start()
        }
        return worker
    }

    /// Transactions committed so far.
    var committedTransactions: Int { commits.load(ordering: .relaxed) }

    /// Runs `body` on the worker's connection and returns its result once the worker
    /// resumes the caller, after the batch's COMMIT.
    /// - Parameter durable: `false` lets the COMMIT skip its fsync when no other job of the
    ///   batch needs one (see ``Job/durable``).
    func submit<Value: Sendable>(durable: Bool = true, _ body: @escaping @Sendable (Database) throws -> Value) async throws -> Value {
        let box = ResultBox<Value>()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
            let job = Job(
                durable: durable,
                run: { database in box.set(try body(database)) },
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
            let (accepted, signal) = state.withLock { state -> (Bool, Bool) in
                guard !state.closed else { return (false, false) }
                state.jobs.append(job)
                guard state.sleeping else { return (true, false) }
                state.sleeping = false
                return (true, true)
            }
            if !accepted {
                job.finish(StoreError(.unavailable, "the store is closed"))
            } else if signal {
                wake.signal()
            }
        }
    }

    /// Refuses new jobs; the thread still runs those already queued, then closes the connection.
    func close() {
        let signal = state.withLock { state -> Bool in
            state.closed = true
            guard state.sleeping else { return false }
            state.sleeping = false
            return true
        }
        if signal { wake.signal() }
    }

    /// Returns once the thread has run every queued job and closed the connection.
    func waitUntilFinished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let finished = state.withLock { state -> Bool in
                if !state.finished { state.finishWaiters.append(continuation) }
                return state.finished
            }
            if finished { continuation.resume() }
        }
    }

    // MARK: - The thread

    /// The thread's life: open, set up, report, then run batches until closed and drained.
    /// The connection closes when this returns.
    private func serve(path: String, setUp: @Sendable (Database) throws -> Void,
                       started: (Result<Void, any Error>) -> Void) {
        let database: Database
        do {
            database = try Database(path: path)
            try setUp(database)
        } catch {
            close()
            started(.failure(error))
            return
        }
        started(.success(()))
        // `setUp` leaves the connection at synchronous=FULL.
        var syncsCommits = true
        while let batch = nextBatch() {
            write(batch, on: database, syncsCommits: &syncsCommits)
        }
    }

    /// Every job queued so far, sleeping until there is one; `nil` once closed and drained.
    private func nextBatch() -> [Job]? {
        while true {
            let batch = state.withLock { state -> [Job]?? in
                if !state.jobs.isEmpty {
                    var jobs: [Job] = []
                    swap(&jobs, &state.jobs)
                    return .some(jobs)
                }
                if state.closed { return .some(nil) }
                state.sleeping = true
                return .none
            }
            if let batch { return batch }
            wake.wait()
        }
    }

    private func markFinished() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.closed = true
            state.finished = true
            defer { state.finishWaiters = [] }
            return state.finishWaiters
        }
        // Jobs that raced with the end of a failed start.
        for job in state.withLock({ state -> [Job] in defer { state.jobs = [] }; return state.jobs }) {
            job.finish(StoreError(.unavailable, "the store is closed"))
        }
        for waiter in waiters { waiter.resume() }
    }

    private func write(_ batch: [Job], on database: Database, syncsCommits: inout Bool) {
        var jobs = batch
        while !jobs.isEmpty {
            do {
                let needsSync = jobs.contains { $0.durable }
                if needsSync != syncsCommits {
                    // Outside any transaction, so it governs exactly this batch's COMMIT. A
                    // pragma that fails leaves the setting (and `syncsCommits`) as it was.
                    try database.run(needsSync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
                    syncsCommits = needsSync
                }
                try database.run("BEGIN IMMEDIATE")
            } catch {
                let failure = Row.storeError(error, while: "starting a write transaction")
                logger.error("SQLite store cannot write", metadata: ["error": "\(failure)", "jobs": "\(jobs.count)"])
                for job in jobs { job.finish(failure) }
                return
            }

            var succeeded: [Job] = []
            var runAgain: [Job]?
            for (position, job) in jobs.enumerated() {
                let changesBefore = database.totalChanges
                do {
                    try job.run(database)
                    succeeded.append(job)
                } catch {
                    if !(error is StoreError) {
                        logger.warning("SQLite store write failed", metadata: ["error": "\(error)"])
                    }
                    job.finish(error)
                    // A job that changed nothing before it threw (a refused transition, or a
                    // statement SQLite undid by itself) leaves the transaction as it was.
                    if database.isInTransaction && database.totalChanges == changesBefore { continue }
                    // Otherwise what it wrote must go, and with the transaction (which SQLite
                    // may already have rolled back, on SQLITE_FULL or an I/O error) what ran
                    // before it: run the others again in a new transaction.
                    runAgain = succeeded + jobs[(position + 1)...]
                    break
                }
            }

            if let runAgain {
                if database.isInTransaction { try? database.run("ROLLBACK") }
                jobs = runAgain
                continue
            }
            do {
                try database.run("COMMIT")
                commits.add(1, ordering: .relaxed)
                for job in succeeded { job.finish(nil) }
            } catch {
                if database.isInTransaction { try? database.run("ROLLBACK") }
                let failure = Row.storeError(error, while: "committing")
                logger.error("SQLite store commit failed", metadata: ["error": "\(failure)", "jobs": "\(succeeded.count)"])
                for job in succeeded { job.finish(failure) }
            }
            jobs = []
        }
    }
}
