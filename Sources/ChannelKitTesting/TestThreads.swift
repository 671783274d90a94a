import ChannelConcurrency
import ChannelPipeline
import Foundation

/// The reply executor and timer thread a test process shares, as the host makes one of each
/// per process: tests pass these to the pipelines and media fetchers they make, so that no
/// test starts threads of its own.
public enum TestThreads {
    /// The threads replies are made on, one per CPU.
    public static let replies = ReplyExecutor(threads: ProcessInfo.processInfo.activeProcessorCount)
    /// The timer thread.
    public static let timers = TimerThread()
}
