import Foundation

/// The `pipeline:` section of `channels.yaml`: how the host processes conversations.
///
/// | Key | Default | Meaning |
/// |-----|---------|---------|
/// | `max_concurrent_conversations` | `64` | `>= 1`; conversations answered at the same time. |
/// | `send_attempts` | `5` | `>= 1`; tries per message part, with backoff, within one attempt of an event. |
/// | `max_attempts` | `5` | `>= 1`; attempts of one event before it is dead. |
/// | `max_message_age_seconds` | `3600` | `>= 1`; at start-up, older unanswered messages are expired, not answered. |
/// | `unauthorized_pause_seconds` | `60` | `>= 1`; after the platform refuses a channel's token, its sends pause this long before one more try. |
/// | `typing_indicator_delay_ms` | `500` | `>= 0`; an answer that takes longer gets a typing indicator first (Instagram); `0`: before every answer. |
/// | `max_interrupted_claims` | `1` | `>= 0`; times one message may be in progress when the host stops abruptly and still be tried again; once more and it is dead, with an apology. |
/// | `lease_seconds` | `60` | `>= 3`; how long a message being answered belongs to its host without a renewal (renewed every third of it): when a host sharing a PostgreSQL store stops, the others take its conversations over after this. |
/// | `worker_id` | `""` | this host's name in the store's leases; empty: `<machine name>:<server.port>`. Unique among the hosts of one store, and the same across one host's restarts (a restarted host then takes its own messages up at once). |
struct PipelineConfiguration: Sendable, Hashable {
    /// The default `max_concurrent_conversations`.
    static let defaultMaxConcurrentConversations = 64
    /// The default `send_attempts`.
    static let defaultSendAttempts = 5
    /// The default `max_attempts`.
    static let defaultMaxAttempts = 5
    /// The default `max_message_age_seconds`.
    static let defaultMaxMessageAgeSeconds = 3600
    /// The default `unauthorized_pause_seconds`.
    static let defaultUnauthorizedPauseSeconds = 60
    /// The default `typing_indicator_delay_ms`.
    static let defaultTypingIndicatorDelayMilliseconds = 500
    /// The default `max_interrupted_claims`.
    static let defaultMaxInterruptedClaims = 1
    /// The default `lease_seconds`.
    static let defaultLeaseSeconds = 60
    /// The keys of the section.
    static let keys = ["max_concurrent_conversations", "send_attempts", "max_attempts", "max_message_age_seconds", "unauthorized_pause_seconds",
                       "typing_indicator_delay_ms", "max_interrupted_claims", "lease_seconds", "worker_id"]

    /// Conversations answered at the same time (`max_concurrent_conversations`).
    var maxConcurrentConversations: Int
    /// Tries per message part within one attempt (`send_attempts`).
    var sendAttempts: Int
    /// Attempts of one event before it is dead (`max_attempts`).
    var maxAttempts: Int
    /// Age past which unanswered messages expire at start-up (`max_message_age_seconds`).
    var maxMessageAgeSeconds: Int
    /// Pause after refused credentials (`unauthorized_pause_seconds`).
    var unauthorizedPauseSeconds: Int
    /// How long an answer may take before a typing indicator goes first (`typing_indicator_delay_ms`).
    var typingIndicatorDelayMilliseconds: Int
    /// Abrupt stops one message may be in progress for and still be tried again (`max_interrupted_claims`).
    var maxInterruptedClaims: Int
    /// How long a claimed message belongs to its host without a renewal (`lease_seconds`).
    var leaseSeconds: Int = defaultLeaseSeconds
    /// This host's name in the store's leases (`worker_id`); empty: derived.
    var workerID: String = ""

    /// Creates the section; every value defaults to the documented default.
    init(
        maxConcurrentConversations: Int = defaultMaxConcurrentConversations,
        sendAttempts: Int = defaultSendAttempts,
        maxAttempts: Int = defaultMaxAttempts,
        maxMessageAgeSeconds: Int = defaultMaxMessageAgeSeconds,
        unauthorizedPauseSeconds: Int = defaultUnauthorizedPauseSeconds,
        typingIndicatorDelayMilliseconds: Int = defaultTypingIndicatorDelayMilliseconds,
        maxInterruptedClaims: Int = defaultMaxInterruptedClaims
    ) {
        self.maxConcurrentConversations = maxConcurrentConversations
        self.sendAttempts = sendAttempts
        self.maxAttempts = maxAttempts
        self.maxMessageAgeSeconds = maxMessageAgeSeconds
        self.unauthorizedPauseSeconds = unauthorizedPauseSeconds
        self.typingIndicatorDelayMilliseconds = typingIndicatorDelayMilliseconds
        self.maxInterruptedClaims = maxInterruptedClaims
    }

    /// `worker_id`, or `<machine name>:<port>` when it is empty.
    func effectiveWorkerID(port: Int) -> String {
        workerID.isEmpty ? "\(ProcessInfo.processInfo.hostName):\(port)" : workerID
    }
}
