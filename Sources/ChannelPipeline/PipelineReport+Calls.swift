import ChannelKit

// MARK: - Timing the calls to the platform and the assistant (see ``PipelineMetrics``).

extension PipelineReport {
    /// Runs one call to `channel`'s platform API, timed as `operation`; a failure is counted by
    /// its ``ChannelError/Code`` (another error as `transient`, as the sender treats it), one
    /// cancelled is not counted.
    func platformCall<T>(_ operation: PipelineTimings.PlatformOperation, channel: String,
                         _ call: () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        do {
            let result = try await call()
            metrics.platformCalled(channel: channel, operation: operation, duration: start.duration(to: .now), failed: nil)
            return result
        } catch {
            if !Task.isCancelled {
                metrics.platformCalled(channel: channel, operation: operation, duration: start.duration(to: .now),
                                       failed: (error as? ChannelError)?.code ?? .transient)
            }
            throw error
        }
    }

    /// Runs one call to the assistant for a message of `channel`, timed; a failure is counted by
    /// ``AssistantError/Code`` (what the pipeline retries — timeouts, refused connections — as
    /// `unavailable`, an error of another type as `refused`), one cancelled is not counted.
    func assistantCall<T>(channel: String, _ call: () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        do {
            let result = try await call()
            metrics.assistantCalled(channel: channel, duration: start.duration(to: .now), failed: nil)
            return result
        } catch {
            if !Task.isCancelled {
                let code = AssistantOutage.isTemporary(error) ? .unavailable : (error as? AssistantError)?.code ?? .refused
                metrics.assistantCalled(channel: channel, duration: start.duration(to: .now), failed: code)
            }
            throw error
        }
    }
}
