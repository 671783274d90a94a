import Foundation

/// Runs `work` on a thread of its own and returns its result.
///
/// For blocking calls — waiting for a child process, reading a pipe to its end: every task of
/// the test process (the hosts under test included) shares a few threads, and a test holding
/// them in a blocking call stalls all the others, long enough under load for their deadlines
/// to pass.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: work()) }
    }
}

extension Process {
    /// Returns once the process has exited, without holding a shared thread meanwhile.
    func exited() async {
        await onOwnThread { self.waitUntilExit() }
    }

    /// Collects the exit on a thread of its own, without waiting for it (for `defer` blocks,
    /// which cannot wait).
    func reapInBackground() {
        Thread.detachNewThread { self.waitUntilExit() }
    }
}
