import ChannelKit
import Foundation

/// The failed logins of one client (an address, or an IPv6 /64), as kept in the store: the
/// rules of ``AdminSessions``' lockout as a value that reads and writes itself as JSON, so
/// that the store can apply them atomically for every host.
///
/// Times are whole milliseconds since 1970.
struct LoginFailures: Codable, Sendable, Equatable {
    /// The lockout's settings.
    struct Limits: Sendable {
        /// Failures within `lockout` that lock the client out.
        var maxFailures: Int
        /// How long failures count, and how long a lockout lasts, in seconds.
        var lockout: TimeInterval
        /// Seconds after which an attempt still in flight is taken for one whose host died.
        var abandonedAfter: TimeInterval
    }

    /// An attempt whose password or token is being checked.
    struct Attempt: Codable, Sendable, Equatable {
        var id: UInt64
        var startedAt: Int64
    }

    /// What asking to check a password came to.
    enum Admission: Sendable, Equatable {
        /// Go on and check; then call ``finish(_:failed:at:limits:)`` with this id.
        case admitted(UInt64)
        /// Refused unchecked.
        case refused(AdminSessions.LoginOutcome)

        /// The refusal, when refused.
        var refusal: AdminSessions.LoginOutcome? {
            if case .refused(let outcome) = self { return outcome }
            return nil
        }
    }

    /// When the failures still counted happened.
    var failures: [Int64] = []
    /// The end of the lockout, if one was set.
    var lockedUntil: Int64?
    /// Attempts admitted and not finished.
    var inFlight: [Attempt] = []

    /// The value stored as `text`; empty when there is none (or it cannot be read).
    init(_ text: String?) {
        guard let text, let decoded = try? JSONDecoder().decode(LoginFailures.self, from: Data(text.utf8)) else { return }
        self = decoded
    }

    /// Counts an attempt as in flight, or refuses it: during a lockout, and when the failures in
    /// the window plus the attempts in flight already reach the limit.
    mutating func admit(_ id: UInt64, at clock: Date, limits: Limits) -> Admission {
        let now = Self.milliseconds(clock)
        if let until = lockedUntil {
            if until > now { return .refused(.lockedOut(until: Self.date(until))) }
            lockedUntil = nil
            failures = []
        }
        failures = failures.filter { now - $0 < Self.milliseconds(limits.lockout) }
        inFlight = inFlight.filter { now - $0.startedAt < Self.milliseconds(limits.abandonedAfter) }
        guard failures.count + inFlight.count < limits.maxFailures else {
            // The attempts in flight may all fail and lock the client out from about now.
            return .refused(.lockedOut(until: clock.addingTimeInterval(limits.lockout)))
        }
        inFlight.append(Attempt(id: id, startedAt: now))
        return .admitted(id)
    }

    /// Ends an admitted attempt. A success forgets the failures, unless other attempts are
    /// still being checked (a burst, not a person logging in): then they keep counting, so that
    /// the burst gets no more checks than the limit. A failure at the limit locks the client out.
    mutating func finish(_ id: UInt64, failed: Bool, at clock: Date, limits: Limits) -> AdminSessions.LoginOutcome {
        let now = Self.milliseconds(clock)
        inFlight.removeAll { $0.id == id }
        guard failed else {
            if inFlight.isEmpty { self = LoginFailures(nil) }
            return .success(token: "")
        }
        failures = failures.filter { now - $0 < Self.milliseconds(limits.lockout) } + [now]
        if failures.count >= limits.maxFailures {
            let until = max(lockedUntil ?? now, now + Self.milliseconds(limits.lockout))
            lockedUntil = until
            return .lockedOut(until: Self.date(until))
        }
        return .wrongPassword(remaining: limits.maxFailures - failures.count)
    }

    /// What to store: nothing when nothing counts any more; else the JSON, until the last of
    /// it stops counting.
    func update(limits: Limits) -> SharedValueUpdate {
        guard !failures.isEmpty || !inFlight.isEmpty || lockedUntil != nil,
              let data = try? JSONEncoder().encode(self), let text = String(data: data, encoding: .utf8) else { return .delete }
        let ends = [lockedUntil ?? 0, (failures.max() ?? 0) + Self.milliseconds(limits.lockout),
                    (inFlight.map(\.startedAt).max() ?? 0) + Self.milliseconds(limits.abandonedAfter)]
        return SharedValueUpdate(value: text, expiresAt: Self.date(ends.max() ?? 0))
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }
    static func milliseconds(_ interval: TimeInterval) -> Int64 { Int64((interval * 1000).rounded()) }
    static func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
}
