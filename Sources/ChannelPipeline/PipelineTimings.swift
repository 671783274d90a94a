import ChannelKit
import CoreMetrics

/// One channel's latency histograms and call errors, made once at start-up (see
/// ``PipelineMetrics``): every dimension comes from a closed set, so nothing is built per message.
struct PipelineTimings: Sendable {
    /// A kind of call to the platform's API: a small, fixed set, used as a metric dimension.
    enum PlatformOperation: String, Sendable, CaseIterable {
        /// A reply part or a notice.
        case send
        /// The acknowledgement: a typing indicator, with a read receipt where the platform ties one to the message.
        case typing
        /// Locating an attachment by its media id (WhatsApp's lookup); not the download.
        case media
    }

    /// `sandra_reply_seconds`: acceptance of the message to its reply's last part delivered.
    let reply: CoreMetrics.Timer
    /// `sandra_assistant_seconds`: one call to the assistant, answered or not.
    let assistant: CoreMetrics.Timer
    /// `sandra_assistant_errors_total` by ``AssistantError/Code``.
    let assistantErrors: [AssistantError.Code: Counter]
    /// `sandra_platform_request_seconds` by operation.
    let platform: [PlatformOperation: CoreMetrics.Timer]
    /// `sandra_platform_errors_total` by ``ChannelError/Code``.
    let platformErrors: [ChannelError.Code: Counter]

    init(channel: String, factory: any MetricsFactory) {
        let dimensions = [("channel", channel)]
        reply = CoreMetrics.Timer(label: "sandra_reply_seconds", dimensions: dimensions, factory: factory)
        assistant = CoreMetrics.Timer(label: "sandra_assistant_seconds", dimensions: dimensions, factory: factory)
        var assistantErrors: [AssistantError.Code: Counter] = [:]
        for code in AssistantError.Code.allCases {
            assistantErrors[code] = Counter(label: "sandra_assistant_errors_total", dimensions: dimensions + [("code", code.rawValue)],
                                            factory: factory)
        }
        self.assistantErrors = assistantErrors
        var platform: [PlatformOperation: CoreMetrics.Timer] = [:]
        for operation in PlatformOperation.allCases {
            platform[operation] = CoreMetrics.Timer(label: "sandra_platform_request_seconds", dimensions: dimensions + [("operation", operation.rawValue)],
                                        factory: factory)
        }
        self.platform = platform
        var platformErrors: [ChannelError.Code: Counter] = [:]
        for code in ChannelError.Code.allCases {
            platformErrors[code] = Counter(label: "sandra_platform_errors_total", dimensions: dimensions + [("code", code.rawValue)],
                                           factory: factory)
        }
        self.platformErrors = platformErrors
    }
}
