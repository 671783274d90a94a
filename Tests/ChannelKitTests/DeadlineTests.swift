import ChannelConcurrency
import ChannelKitTesting
import Synchronization
import Testing

@Suite("Deadlines")
struct DeadlineTests {
    @Test("an operation past its deadline is cancelled and reported; the calling task is not cancelled")
    func slowOperationCancelled() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(.milliseconds(50), timers: TestThreads.timers) {
                try await Task.sleep(for: .seconds(600))   // ends only by cancellation
                return 1
            }
        }
        #expect(clock.now - start < .seconds(60))
        #expect(!Task.isCancelled)
        // The caller carries on: the next deadline works as the first did.
        #expect(try await withDeadline(.seconds(600), timers: TestThreads.timers) { 42 } == 42)
    }

    @Test("a quick operation returns its value or its own error")
    func quickOperation() async throws {
        for value in 0..<200 {
            #expect(try await withDeadline(.seconds(600), timers: TestThreads.timers) { value } == value)
        }
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await withDeadline(.seconds(600), timers: TestThreads.timers) { () async throws -> Int in throw Refused() }
        }
    }

    @Test("a cancelled timer never runs; timers run in deadline order")
    func timerCancellation() async {
        let ran = Mutex<[String]>([])
        let timers = TestThreads.timers
        // Deadlines hundreds of milliseconds apart, far more than a thread preempted between two
        // of these lines waits on a loaded machine; the cancelled one is due within the wait
        // below, and would be seen if it ran.
        let cancelled = timers.schedule(after: .milliseconds(300)) { ran.withLock { $0.append("cancelled") } }
        let never = timers.schedule(after: .seconds(Int64.max)) { ran.withLock { $0.append("never") } }
        #expect(timers.cancel(cancelled))
        #expect(!timers.cancel(cancelled))   // once only
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            _ = timers.schedule(after: .milliseconds(600)) {
                ran.withLock { $0.append("second") }
                done.resume()
            }
            _ = timers.schedule(after: .milliseconds(20)) { ran.withLock { $0.append("first") } }
        }
        // The 600 ms timer ran after the 20 ms one; the 300 ms one, cancelled, never did, and
        // neither did the one set for the end of time.
        #expect(ran.withLock { $0 } == ["first", "second"])
        #expect(timers.cancel(never))
    }
}
