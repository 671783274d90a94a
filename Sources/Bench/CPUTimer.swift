#if canImport(Glibc)
import Glibc
#endif

/// The in-process benches' clock: the calling thread's CPU time, so that time the thread
/// spends descheduled (the machine's other work) does not count.
enum CPUTimer {
    /// CPU nanoseconds per call of `operation`: the fastest of `rounds` rounds of `iterations`
    /// calls, after one warm-up round. `operation` returns a number so that the work cannot be
    /// optimized away.
    static func best(rounds: Int, iterations: Int, _ operation: () throws -> Int) rethrows -> Double {
        var best = Double.infinity
        var sink = 0
        for round in 0...rounds {
            let start = threadNanoseconds()
            for _ in 0..<iterations { sink &+= try operation() }
            let elapsed = Double(threadNanoseconds() - start) / Double(iterations)
            if round > 0 { best = min(best, elapsed) }
        }
        if sink == 42 { print("") }
        return best
    }

    /// The calling thread's CPU time in nanoseconds.
    static func threadNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
