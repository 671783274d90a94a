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
    }

    private struct Storage {
        var entries: [String: Entry]
        var order: [String]
        var serving = false
        var intakeOpen = true
        var servingWaiters: [CheckedContinuation<Void, Never>] = []
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
    }

    /// Returns once the server listens; gives the port it listens on.
    func waitUntilServing() async -> Int? {
        await withCheckedContinuation { continuation in
            let serving = storage.withLock { storage in
                if storage.serving { return true }
                storage.servingWaiters.append(continuation)
                return false
            }
            if serving { continuation.resume() }
        }
        return storage.withLock { $0.port }
    }

    /// Whether new webhook deliveries are accepted (false while draining at shutdown).
    var intakeOpen: Bool { storage.withLock { $0.intakeOpen } }

    /// Stops accepting deliveries: webhooks answer 503 so the platform redelivers later.
    func closeIntake() { storage.withLock { $0.intakeOpen = false } }

    func webhookReceived(channel: String) {
        storage.withLock { $0.entries[channel]?.lastWebhook = Date() }
    }

    func markUnauthorized(channel: String, detail: String) {
        storage.withLock { storage in
            storage.entries[channel]?.state = .unauthorized
            storage.entries[channel]?.detail = detail
        }
    }

    func markDelivered(channel: String) {
        storage.withLock { storage in
            if storage.entries[channel]?.state == .unauthorized {
                storage.entries[channel]?.state = .ready
                storage.entries[channel]?.detail = nil
            }
        }
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
