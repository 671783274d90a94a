import ChannelConcurrency
import ChannelKit
import Foundation

/// The assistant is down for now and the message's retry window is still open: the question
/// waits for the assistant instead of getting the apology (see ``Pipeline/Options/assistantRetryWindow``).
struct AssistantOutage: Error, Sendable {
    /// When to ask the assistant again.
    var retryAt: Date
    /// What failed, for the inbox's `last_error` (no message text).
    var reason: String

    /// Marks an item's `last_error` once the person was told to wait a moment, so that they are
    /// told once per message, on every host and across restarts.
    static let notedPrefix = "[held; the person was told] "

    /// The longest pause between two tries.
    static let maximumPause: TimeInterval = 30
    /// The shortest pause between two tries.
    static let minimumPause: TimeInterval = 1

    /// The outage `error` means for `item` at `now`, or `nil` when the error is not temporary or
    /// the window (counted from when the message was received) has passed: then the person gets
    /// the apology. Pauses grow with the wait (half the time waited so far, 1 to 30 s), and the
    /// last try falls on the window's end.
    init?(_ error: any Error, item: InboxItem, window: Duration, now: Date) {
        guard Self.isTemporary(error) else { return nil }
        let end = item.receivedAt.addingTimeInterval(window.seconds)
        guard now < end else { return nil }
        let waited = max(0, now.timeIntervalSince(item.receivedAt))
        let pause = min(Self.maximumPause, max(Self.minimumPause, waited / 2))
        retryAt = min(now.addingTimeInterval(pause), end)
        reason = "\(error)"
    }

    /// Whether asking again later may succeed: the backend said so (``AssistantError/isTemporary``),
    /// or it could not be reached or did not answer in time.
    static func isTemporary(_ error: any Error) -> Bool {
        switch error {
        case let error as AssistantError: error.isTemporary
        case let error as HTTPTransportError: error.code == .timeout || error.code == .connectionFailed
        case is DeadlineExceeded: true
        default: false
        }
    }
}
