import ChannelKit
import Logging
import SQLiteNIO
import Synchronization

/// The writer: one connection, one task, group commit.
///
/// Each turn of the loop takes every queued job, runs them all in one
/// `BEGIN IMMEDIATE … COMMIT`, each inside its own `SAVEPOINT` so that a job that throws is
/// rolled back alone and fails only its own caller, and resumes the callers only after the
/// COMMIT: a caller never returns before its write is durable, and a burst of N concurrent
/// writes costs about one fsync instead of N.
final class WriteWorker: Sendable {
    let queue = JobQueue()
    private let connection: SQLiteConnection
    private let logger: Logger
    private let commits = Mutex(0)

    init(connection: SQLiteConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Transactions committed so far.
    var committedTransactions: Int { commits.withLock { $0 } }

    /// The worker's loop; returns after ``JobQueue/close()`` once the queue is drained, with
    /// the connection closed.
    func run() async {
        while let batch = await queue.nextBatch() {
            await runBatch(batch)
        }
        do { try await connection.close() } catch {
            logger.warning("closing the SQLite writer connection failed", metadata: ["error": "\(error)"])
        }
    }

    private func runBatch(_ batch: [Job]) async {
        var jobs = batch
        while !jobs.isEmpty {
            do {
                _ = try await connection.query("BEGIN IMMEDIATE")
            } catch {
                let failure = Row.storeError(error, while: "starting a write transaction")
                logger.error("SQLite store cannot write", metadata: ["error": "\(failure)", "jobs": "\(jobs.count)"])
                for job in jobs { job.finish(failure) }
                return
            }

            var succeeded: [Job] = []
            var failed: [(job: Job, error: any Error)] = []
            var runAgain: [Job]?
            for (position, job) in jobs.enumerated() {
                do {
                    _ = try await connection.query("SAVEPOINT job")
                    try await job.run(connection)
                    _ = try await connection.query("RELEASE job")
                    succeeded.append(job)
                } catch {
                    failed.append((job, error))
                    do {
                        _ = try await connection.query("ROLLBACK TO job")
                        _ = try await connection.query("RELEASE job")
                    } catch {
                        // SQLite rolled back the whole transaction (it may on SQLITE_FULL, an I/O
                        // error or out of memory): what ran before is gone too, so run the other
                        // jobs again in a new transaction, without the one that failed.
                        runAgain = succeeded + jobs[(position + 1)...]
                        break
                    }
                }
            }
            for (job, error) in failed {
                if !(error is StoreError) {
                    logger.warning("SQLite store write failed", metadata: ["error": "\(error)"])
                }
                job.finish(error)
            }

            if let runAgain {
                _ = try? await connection.query("ROLLBACK")
                jobs = runAgain
                continue
            }
            do {
                _ = try await connection.query("COMMIT")
                commits.withLock { $0 += 1 }
                for job in succeeded { job.finish(nil) }
            } catch {
                _ = try? await connection.query("ROLLBACK")
                let failure = Row.storeError(error, while: "committing")
                logger.error("SQLite store commit failed", metadata: ["error": "\(failure)", "jobs": "\(succeeded.count)"])
                for job in succeeded { job.finish(failure) }
            }
            jobs = []
        }
    }
}

/// The reader: a second connection (WAL lets it read while the writer writes), one task,
/// one statement at a time, so that every read starts after the writes its caller saw complete.
final class ReadWorker: Sendable {
    let queue = JobQueue()
    private let connection: SQLiteConnection
    private let logger: Logger

    init(connection: SQLiteConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    func run() async {
        while let batch = await queue.nextBatch() {
            for job in batch {
                do {
                    try await job.run(connection)
                    job.finish(nil)
                } catch {
                    job.finish(error)
                }
            }
        }
        do { try await connection.close() } catch {
            logger.warning("closing the SQLite reader connection failed", metadata: ["error": "\(error)"])
        }
    }
}
