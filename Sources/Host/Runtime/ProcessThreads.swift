import ChannelConcurrency
import ChannelPipeline
import Foundation

/// The process's reply executor and timer thread, made once when first used and passed to
/// everything that needs them: the pipeline, the media fetcher, the HTTP transport. The
/// libraries keep no threads of their own; a process that runs several hosts (the end-to-end
/// tests) shares these, as it shares its CPUs.
enum ProcessThreads {
    /// The threads replies are made on, one per CPU.
    static let replies = ReplyExecutor(threads: ProcessInfo.processInfo.activeProcessorCount)
    /// The timer thread for every deadline of the process.
    static let timers = TimerThread()
}
