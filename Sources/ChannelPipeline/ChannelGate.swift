import ChannelKit
import Foundation
import Synchronization

/// Per-channel pauses: after the platform refused a channel's credentials, sends on that
/// channel wait instead of burning retries; when the pause ends, **one** send — the probe —
/// tries the credentials again, across every host of the store, while the others keep waiting.
///
/// Each host remembers its own view of the channel (not paused, paused until a time, or the
/// pause over and the credentials not yet known good), so that a send on a channel that is
/// fine reads nothing from the store. The shared record — `"<paused until ms> <probe until
/// ms>"` under the ``scope`` of the store's ``SharedStateStore`` — holds the longest pause any
/// host set and who may probe: a host whose pause ended takes the probe there, and is told to
/// wait when another host paused for longer or is probing.
final class ChannelGate: Sendable {
    /// The shared-state scope of channel pauses (keyed by channel name).
    static let scope = "channel.pause"

    /// What the gate says about a send.
    enum Decision: Sendable, Equatable {
        /// Send: the channel is not known to be refused, or this send is the probe.
        case go
        /// Wait until this time (paused here, paused longer by another host, or another host probes).
        case wait(until: Date)
    }

    private enum Local {
        case paused(until: Date)
        /// The pause ended; the next send probes, once the store allows.
        case lapsed
    }

    private let local = Mutex<[String: Local]>([:])
    private let store: any SharedStateStore
    /// How long a probe may take before another host may probe instead.
    let probeWindow: TimeInterval

    /// - Parameters:
    ///   - store: where the hosts of one store share pauses and probes.
    ///   - probeWindow: how long one probe holds the others back, at most.
    init(store: any SharedStateStore, probeWindow: TimeInterval = 30) {
        self.store = store
        self.probeWindow = probeWindow
    }

    /// Whether a send on `channel` may go now. A channel this host does not know to be
    /// refused goes without reading the store.
    func admit(_ channel: String, at now: Date) async -> Decision {
        switch local.withLock({ $0[channel] }) {
        case nil:
            return .go
        case .paused(let until) where until > now:
            return .wait(until: until)
        case .paused, .lapsed:
            local.withLock { $0[channel] = .lapsed }
            return await takeProbe(channel, at: now)
        }
    }

    /// The pause over here: the probe goes unless another host paused longer or is probing.
    private func takeProbe(_ channel: String, at now: Date) async -> Decision {
        let window = probeWindow
        let change: SharedValueChange
        do {
            change = try await store.updateSharedValue(scope: Self.scope, key: channel, at: now) { current in
                let record = PauseRecord(current)
                guard record.pausedUntil <= now, record.probeUntil <= now else {
                    return SharedValueUpdate(value: current, expiresAt: record.expiry)
                }
                let probing = PauseRecord(pausedUntil: record.pausedUntil, probeUntil: now.addingTimeInterval(window))
                return SharedValueUpdate(value: probing.encoded, expiresAt: probing.expiry)
            }
        } catch {
            // The store cannot say: probe from here (one send per host at most, as without a store).
            return .go
        }
        let before = PauseRecord(change.previous)
        if before.pausedUntil > now {
            local.withLock { $0[channel] = .paused(until: before.pausedUntil) }
            return .wait(until: before.pausedUntil)
        }
        if before.probeUntil > now { return .wait(until: before.probeUntil) }
        return .go
    }

    /// Pauses the channel here (the caller already checked the channel was not replaced).
    func pauseHere(_ channel: String, until: Date) {
        local.withLock { $0[channel] = .paused(until: until) }
    }

    /// Tells the other hosts: the channel is paused until `until` (or longer, if one of them said so).
    func share(_ channel: String, pausedUntil until: Date, at now: Date) async {
        _ = try? await store.updateSharedValue(scope: Self.scope, key: channel, at: now) { current in
            let record = PauseRecord(pausedUntil: max(until, PauseRecord(current).pausedUntil), probeUntil: .distantPast)
            return SharedValueUpdate(value: record.encoded, expiresAt: record.expiry)
        }
    }

    /// A send went through, or the channel was replaced: no pause, here and — when this host
    /// knew of one — in the store. A send on a channel that was fine writes nothing.
    /// - Returns: whether this host had the channel paused or probing.
    @discardableResult
    func resume(_ channel: String, at now: Date) async -> Bool {
        guard local.withLock({ $0.removeValue(forKey: channel) }) != nil else { return false }
        try? await store.setSharedValue(nil, scope: Self.scope, key: channel, at: now)
        return true
    }

    /// Lifts this host's pause of `channel` at once, without the store (in the same step as the
    /// channel's replacement); ``clearShared(_:at:)`` then clears the shared record.
    func forget(_ channel: String) {
        local.withLock { _ = $0.removeValue(forKey: channel) }
    }

    /// Deletes the channel's shared pause: it was replaced (new credentials), on this host or another.
    func clearShared(_ channel: String, at now: Date) async {
        try? await store.setSharedValue(nil, scope: Self.scope, key: channel, at: now)
    }
}

/// A channel's shared pause: `"<paused until ms> <probe until ms>"`.
struct PauseRecord: Sendable, Equatable {
    var pausedUntil: Date
    var probeUntil: Date

    init(pausedUntil: Date, probeUntil: Date) {
        self.pausedUntil = pausedUntil
        self.probeUntil = probeUntil
    }

    /// The record stored as `text`; none (both in the past) when absent or unreadable.
    init(_ text: String?) {
        let fields = text?.split(separator: " ").compactMap { Int64($0) } ?? []
        guard fields.count == 2 else {
            self.init(pausedUntil: .distantPast, probeUntil: .distantPast)
            return
        }
        self.init(pausedUntil: Self.date(fields[0]), probeUntil: Self.date(fields[1]))
    }

    var encoded: String { "\(Self.milliseconds(pausedUntil)) \(Self.milliseconds(probeUntil))" }
    /// When the record stops mattering.
    var expiry: Date { max(pausedUntil, probeUntil) }

    private static func milliseconds(_ date: Date) -> Int64 {
        date == .distantPast ? 0 : Int64((date.timeIntervalSince1970 * 1000).rounded(.up))
    }

    private static func date(_ milliseconds: Int64) -> Date {
        milliseconds == 0 ? .distantPast : Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
