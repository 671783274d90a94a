import ChannelKit
import Foundation
import Synchronization

/// What the host knows of each channel's health, for `/readyz` and operators.
///
/// Written by the server's start callback and the pipeline's observer; read by requests.
final class ChannelStatusBoard: Sendable {
    /// One channel's state.
    enum State: String, Sendable {
        /// Made, waiting for the server to listen.
        case starting
        /// Listening for webhooks and able to send.
        case ready
        /// The platform refused the access token; replies fail until it is replaced.
        case unauthorized
        /// Every send has failed for `server.degraded_after_seconds`; webhooks are still taken.
        case degraded
        /// Not served: no credentials on a live host (see ``ChannelMode``).
        case off
    }

    struct Entry: Sendable {
        var state: State = .starting
        var mode: ChannelMode
        var sandbox: Bool { mode == .sandbox }
        var detail: String?
        /// The first failed send since the last one that succeeded.
        var failingSince: Date?
        /// The last failed send's error, for `degraded`.
        var lastSendError: String?
        var lastWebhook: Date?
        /// When the platform's subscription handshake last succeeded.
        var lastHandshake: Date?
        /// When an operator last reconfigured the channel.
        var reconfiguredAt: Date?
        /// The access token's expiry and refreshes, for channels whose token the host refreshes.
        var token: TokenStatus?
    }

    private struct Storage {
        var entries: [String: Entry]
        var order: [String]
        var serving = false
        /// The server stopped, or could not start (its port taken, say).
        var serverEnded = false
        var intakeOpen = true
        var servingWaiters: [CheckedContinuation<Void, Never>] = []
        var stateWaiters: [(channel: String, state: State, continuation: CheckedContinuation<Void, Never>)] = []
        var port: Int?
        /// The first failed email since the last one sent, and its error.
        var mailFailingSince: Date?
        var lastMailError: String?
    }

    private let storage: Mutex<Storage>
    /// How long only failed sends make a channel or the mailer `degraded`.
    let degradedAfter: TimeInterval
    private let now: @Sendable () -> Date

    /// - Parameters:
    ///   - channels: every enabled channel and its mode; `off` ones stay off.
    ///   - degradedAfter: `server.degraded_after_seconds`.
    ///   - now: the clock; tests pass their own.
    init(channels: [(name: String, mode: ChannelMode)], degradedAfter: TimeInterval = 300,
         now: @escaping @Sendable () -> Date = { Date() }) {
        var entries: [String: Entry] = [:]
        for channel in channels {
            entries[channel.name] = Entry(state: channel.mode == .off ? .off : .starting, mode: channel.mode)
        }
        storage = Mutex(Storage(entries: entries, order: channels.map(\.name)))
        self.degradedAfter = degradedAfter
        self.now = now
    }

    /// The server is listening on `port`: every channel is ready.
    func serverStarted(port: Int?) {
        let waiters = storage.withLock { storage in
            storage.serving = true
            storage.port = port
            for name in storage.order where storage.entries[name]?.state == .starting {
                storage.entries[name]?.state = .ready
            }
            let waiters = storage.servingWaiters
            storage.servingWaiters = []
            return waiters
        }
        for waiter in waiters { waiter.resume() }
        resumeStateWaiters()
    }

    /// The server stopped, or failed to start: whoever waits for it to listen stops waiting.
    func serverEnded() {
        let waiters = storage.withLock { storage in
            storage.serverEnded = true
            defer { storage.servingWaiters = [] }
            return storage.servingWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the server listens, with the port it listens on; `nil` when it ended
    /// without listening (it could not bind its address).
    func waitUntilServing() async -> Int? {
        await withCheckedContinuation { continuation in
            let settled = storage.withLock { storage in
                if storage.serving || storage.serverEnded { return true }
                storage.servingWaiters.append(continuation)
                return false
            }
            if settled { continuation.resume() }
        }
        return storage.withLock { $0.serving ? $0.port : nil }
    }

    /// Returns once `channel` is in `state` (at once when it is already).
    func waitUntil(channel: String, is state: State) async {
        await withCheckedContinuation { continuation in
            let reached = storage.withLock { storage in
                if storage.entries[channel]?.state == state { return true }
                storage.stateWaiters.append((channel, state, continuation))
                return false
            }
            if reached { continuation.resume() }
        }
    }

    /// Resumes the waiters whose channel reached their state; called after every change.
    private func resumeStateWaiters() {
        let ready = storage.withLock { storage in
            var ready: [CheckedContinuation<Void, Never>] = []
            storage.stateWaiters.removeAll { waiter in
                guard storage.entries[waiter.channel]?.state == waiter.state else { return false }
                ready.append(waiter.continuation)
                return true
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    /// Whether new webhook deliveries are accepted (false while draining at shutdown).
    var intakeOpen: Bool { storage.withLock { $0.intakeOpen } }

    /// Stops accepting deliveries: webhooks answer 503 so the platform redelivers later.
    func closeIntake() { storage.withLock { $0.intakeOpen = false } }

    func webhookReceived(channel: String) {
        storage.withLock { $0.entries[channel]?.lastWebhook = Date() }
    }

    func handshakeVerified(channel: String) {
        storage.withLock { $0.entries[channel]?.lastHandshake = Date() }
    }

    /// An operator saved new settings: the channel serves with them now, so a refusal of the
    /// old credentials no longer holds.
    func channelReconfigured(channel: String, mode: ChannelMode) {
        storage.withLock { storage in
            guard var entry = storage.entries[channel] else { return }
            entry.mode = mode
            entry.detail = nil
            entry.failingSince = nil
            entry.lastSendError = nil
            entry.reconfiguredAt = Date()
            entry.token?.lastError = nil
            entry.token?.failedAt = nil
            entry.state = storage.serving ? .ready : .starting
            storage.entries[channel] = entry
        }
        resumeStateWaiters()
    }

    /// One channel's entry, for the admin portal.
    func entry(for channel: String) -> Entry? {
        storage.withLock { $0.entries[channel] }
    }

    /// Changes what is known of a channel's access token.
    func updateToken(channel: String, _ update: (inout TokenStatus) -> Void) {
        storage.withLock { storage in
            guard storage.entries[channel] != nil else { return }
            var token = storage.entries[channel]?.token ?? TokenStatus()
            update(&token)
            storage.entries[channel]?.token = token
        }
    }

    func markUnauthorized(channel: String, detail: String) {
        storage.withLock { storage in
            storage.entries[channel]?.state = .unauthorized
            storage.entries[channel]?.detail = detail
        }
        resumeStateWaiters()
    }

    func markDelivered(channel: String) {
        // Called for every send: the waiters are looked at only when the state changed.
        let changed = storage.withLock { storage in
            storage.entries[channel]?.failingSince = nil
            storage.entries[channel]?.lastSendError = nil
            guard storage.entries[channel]?.state == .unauthorized else { return false }
            storage.entries[channel]?.state = .ready
            storage.entries[channel]?.detail = nil
            return true
        }
        if changed { resumeStateWaiters() }
    }

    /// A send of `channel` failed (a retry or a reply given up); the channel is `degraded`
    /// once only failures have been seen for ``degradedAfter``.
    /// - Parameter error: the platform's error, in words (no message text, no secrets).
    func markSendFailed(channel: String, error: String) {
        let at = now()
        storage.withLock { storage in
            guard storage.entries[channel] != nil else { return }
            if storage.entries[channel]?.failingSince == nil { storage.entries[channel]?.failingSince = at }
            storage.entries[channel]?.lastSendError = error
        }
    }

    /// An identity-linking email was handed to the mail server.
    func markMailSent() {
        storage.withLock { storage in
            storage.mailFailingSince = nil
            storage.lastMailError = nil
        }
    }

    /// An identity-linking email could not be sent.
    func markMailFailed(error: String) {
        let at = now()
        storage.withLock { storage in
            if storage.mailFailingSince == nil { storage.mailFailingSince = at }
            storage.lastMailError = error
        }
    }

    /// A channel's state as reported now: a ready channel whose sends have all failed for
    /// ``degradedAfter`` is `degraded`.
    func reportedState(of entry: Entry) -> (state: State, detail: String?) {
        if entry.state == .ready, let since = entry.failingSince, now().timeIntervalSince(since) >= degradedAfter {
            return (.degraded, "every send has failed since \(ISO8601DateFormatter().string(from: since)); last error: "
                + (entry.lastSendError ?? "unknown"))
        }
        return (entry.state, entry.detail)
    }

    /// The readiness report. `ready` (HTTP 200) when the server listens, intake is open and no
    /// channel is starting or unauthorized; `status` is `ready`, `degraded` (still 200: webhooks
    /// are taken and kept, but a channel's sends or the mailer have only failed for
    /// ``degradedAfter``) or `unavailable` (503). Off channels are listed and do not count.
    /// - Parameter storeProblem: why the store cannot be used now (``HostStore/unreachableReason()``),
    ///   or `nil`: a host that cannot record a webhook is not ready to take one.
    func readiness(storeProblem: String? = nil) -> (ready: Bool, json: [String: Any]) {
        storage.withLock { storage in
            var channels: [String: Any] = [:]
            var ready = storage.serving && storage.intakeOpen && storeProblem == nil
            var degraded = false
            for name in storage.order {
                guard let entry = storage.entries[name] else { continue }
                let (state, detail) = reportedState(of: entry)
                var item: [String: Any] = ["state": state.rawValue, "mode": entry.mode.rawValue, "sandbox": entry.sandbox]
                if let detail { item["detail"] = detail }
                if let last = entry.lastWebhook { item["last_webhook"] = ISO8601DateFormatter().string(from: last) }
                if let token = entry.token {
                    item["token"] = token.json
                    if state == .ready, token.isUrgent(at: now()) { degraded = true }
                }
                channels[name] = item
                switch state {
                case .ready, .off: break
                case .degraded: degraded = true
                case .starting, .unauthorized: ready = false
                }
            }
            var json: [String: Any] = ["ready": ready, "channels": channels]
            json["store"] = storeProblem.map { ["state": "unreachable", "detail": $0] } ?? ["state": "reachable"]
            if let since = storage.mailFailingSince, now().timeIntervalSince(since) >= degradedAfter {
                degraded = true
                json["mailer"] = ["state": State.degraded.rawValue,
                                  "detail": "every email has failed since \(ISO8601DateFormatter().string(from: since)); last error: "
                                      + (storage.lastMailError ?? "unknown")]
            }
            json["status"] = !ready ? "unavailable" : (degraded ? "degraded" : "ready")
            if !storage.intakeOpen { json["draining"] = true }
            return (ready, json)
        }
    }
}
