import ChannelKit
import CoreMetrics

// MARK: - Latencies and call errors, and every metric's `# HELP` text.

extension PipelineMetrics {
    /// The `# HELP` text of each metric the pipeline makes, by name.
    public static let help: [String: String] = [
        "sandra_webhook_events_total": "Webhook events recorded, per channel: result accepted (new), duplicate (a redelivery, not answered again) or standby (a copy for a thread another app owns, never answered).",
        "sandra_replies_total": "Replies finished, per channel: result delivered (every part sent), or the channel error code that failed the reply.",
        "sandra_reply_parts_sent_total": "Reply parts (platform messages) sent, per channel.",
        "sandra_send_retries_total": "Sends retried in place after a transient failure (timeout, 5xx, throttling), per channel.",
        "sandra_assistant_failures_total": "Messages answered with the apology because the assistant failed or timed out, per channel.",
        "sandra_reply_seconds": "Seconds from a message's acceptance (its stored received time) to its reply's last part delivered, per channel.",
        "sandra_assistant_seconds": "Seconds one call to the assistant took, answered or failed, per channel.",
        "sandra_assistant_errors_total": "Failed calls to the assistant, per channel and code: unavailable (down, unreachable, timed out), refused, malformed.",
        "sandra_platform_request_seconds": "Seconds one call to the platform's API took (each attempt), per channel and operation: send (a reply part or notice), typing (the acknowledgement), media (locating an attachment by its media id).",
        "sandra_platform_errors_total": "Failed calls to the platform's API, per channel and channel error code (transient, permanent, unauthorized, ...).",
    ]

    /// A message's reply was delivered `seconds` after the message was accepted.
    func replyTook(channel: String, seconds: Double) {
        timings[channel]?.reply.recordSeconds(max(0, seconds))
    }

    /// One assistant call took `duration`, and failed with `code` unless `nil`.
    func assistantCalled(channel: String, duration: Duration, failed code: AssistantError.Code?) {
        guard let timings = timings[channel] else { return }
        timings.assistant.recordSeconds(duration / .seconds(1))
        if let code { timings.assistantErrors[code]?.increment() }
    }

    /// One platform call of `operation` took `duration`, and failed with `code` unless `nil`.
    func platformCalled(channel: String, operation: PipelineTimings.PlatformOperation, duration: Duration,
                        failed code: ChannelError.Code?) {
        guard let timings = timings[channel] else { return }
        timings.platform[operation]?.recordSeconds(duration / .seconds(1))
        if let code { timings.platformErrors[code]?.increment() }
    }
}
