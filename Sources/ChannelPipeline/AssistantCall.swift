import ChannelConcurrency
import ChannelKit
import Foundation
import Logging
import Tracing

/// Asks the assistant for the answer to one turn, within its deadline.
///
/// A temporary failure (the backend down, unreachable or too slow) within the message's retry
/// window is thrown as ``AssistantOutage``, so that the message waits and asks again; any
/// other failure, or one after the window, becomes the apology.
struct AssistantCall: Sendable {
    let assistant: any Assistant
    let timeout: Duration
    let timers: TimerThread
    let retryWindow: Duration
    let apology: String
    let observer: PipelineReport
    let tracing: PipelineTracing
    let now: @Sendable () -> Date

    /// The assistant's reply to `turn`, made for `item`, or the apology.
    /// - Throws: ``AssistantOutage`` to ask again later; `CancellationError` when cancelled.
    func reply(to turn: AssistantTurn, for item: InboxItem, logger: Logger) async throws -> AssistantReply {
        do {
            return try await tracing.span("assistant", kind: .client) { _ in
                try await observer.assistantCall(channel: item.event.channel) {
                    try await withDeadline(timeout, timers: timers) { [assistant, logger] in
                        try await assistant.reply(to: turn, logger: logger)
                    }
                }
            }
        } catch {
            if Task.isCancelled { throw CancellationError() }
            if let outage = AssistantOutage(error, item: item, window: retryWindow, now: now()) {
                throw outage
            }
            logger.warning("assistant failed; sending the apology", metadata: ["error": "\(type(of: error))"])
            observer.assistantFailed(channel: item.event.channel)
            return AssistantReply(markdown: apology)
        }
    }
}
