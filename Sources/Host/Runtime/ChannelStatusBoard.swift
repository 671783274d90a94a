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
    }

    struct Entry: Sendable {
        var state: State = .starting
        var sandbox: Bool
        var detail: String?
        var lastWebhook: Date?
        /// When the platform's subscription handshake last succeeded.
        var lastHandshake: Date?
        /// When an operator last reconfigured the channel.
        var reconfiguredAt: Date?
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
    }

    private let storage: Mutex<Storage>

    init(channels: [(name: String, sandbox: Bool)]) {
        var entries: [String: Entry] = [:]
        for channel in channels { entries[channel.name] = Entry(sandbox: channel.sandbox) }
        storage = Mutex(Storage(entries: entries, order: channels.map(\.name)))
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
    func channelReconfigured(channel: String, sandbox: Bool) {
        storage.withLock { storage in
            guard var entry = storage.entries[channel] else { return }
            entry.sandbox = sandbox
            entry.detail = nil
            entry.reconfiguredAt = Date()
            entry.state = storage.serving ? .ready : .starting
            storage.entries[channel] = entry
        }
        resumeStateWaiters()
    }

    /// One channel's entry, for the admin portal.
    func entry(for channel: String) -> Entry? {
        storage.withLock { $0.entries[channel] }
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
            guard storage.entries[channel]?.state == .unauthorized else { return false }
            storage.entries[channel]?.state = .ready
            storage.entries[channel]?.detail = nil
            return true
        }
        if changed { resumeStateWaiters() }
    }

    /// The readiness report: ready when the server listens, intake is open and every channel is ready.
    func readiness() -> (ready: Bool, json: [String: Any]) {
        storage.withLock { storage in
            var channels: [String: Any] = [:]
            var ready = storage.serving && storage.intakeOpen
            for name in storage.order {
                guard let entry = storage.entries[name] else { continue }
                var item: [String: Any] = ["state": entry.state.rawValue, "sandbox": entry.sandbox]
                if let detail = entry.detail { item["detail"] = detail }
                if let last = entry.lastWebhook { item["last_webhook"] = ISO8601DateFormatter().string(from: last) }
                channels[name] = item
                if entry.state != .ready { ready = false }
            }
            var json: [String: Any] = ["ready": ready, "channels": channels]
            if !storage.intakeOpen { json["draining"] = true }
            return (ready, json)
        }
    }
}
