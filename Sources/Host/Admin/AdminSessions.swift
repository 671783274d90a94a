import ChannelKit
import Crypto
import Foundation
import Synchronization

/// Who is logged in to the admin portal, and who is locked out.
///
/// Sessions live in memory (a restart logs everyone out). The cookie carries a random
/// 256-bit token; the table is keyed by its SHA-256, so the tokens themselves are kept nowhere.
/// Each session has its own CSRF token, which every form carries. Failed logins are counted
/// per client address (an IPv6 client per /64, the block one subscriber usually holds); at
/// the limit the address is locked out for the lockout period, and attempts during a lockout
/// are refused without checking the password. An attempt is counted before its password is
/// checked: while checks are running, failures plus attempts in flight may not pass the limit,
/// so a burst of parallel logins gets no more guesses than a sequence of them.
final class AdminSessions: Sendable {
    /// A logged-in session.
    struct Session: Sendable {
        /// The token every form of this session carries.
        let csrfToken: String
        let createdAt: Date
        var lastUsed: Date
    }

    /// What a login attempt came to.
    enum LoginOutcome: Sendable, Equatable {
        /// Logged in: set this cookie token.
        case success(token: String)
        /// Wrong password; this many tries are left before a lockout.
        case wrongPassword(remaining: Int)
        /// Locked out until this time.
        case lockedOut(until: Date)
    }

    private struct Failures {
        var times: [Date] = []
        var lockedUntil: Date?
        /// Attempts admitted whose password or token is being checked now.
        var inFlight = 0
    }

    private struct State {
        var sessions: [[UInt8]: Session] = [:]
        var failures: [String: Failures] = [:]
    }

    private let passwordHash: PasswordHash?
    private let apiTokenDigest: [UInt8]?
    private let idleLifetime: TimeInterval
    private let maxLifetime: TimeInterval
    private let maxFailures: Int
    private let lockout: TimeInterval
    private let now: @Sendable () -> Date
    private let state = Mutex(State())
    private let checks = Atomic<Int>(0)
    /// Tells who a request comes from (failures are counted per client).
    let clients: ClientAddressResolver

    /// Creates the table; the password is hashed here (off the request tasks) and not kept.
    /// - Throws: when the password cannot be hashed.
    static func make(configuration: AdminConfiguration, now: @escaping @Sendable () -> Date = { Date() }) async throws -> AdminSessions {
        let passwordHash: PasswordHash?
        if !configuration.passwordHash.isEmpty {
            passwordHash = PasswordHash(encoded: configuration.passwordHash)
        } else if !configuration.password.isEmpty {
            passwordHash = try await PasswordHash.hashed(configuration.password, rounds: configuration.passwordHashRounds)
        } else {
            passwordHash = nil
        }
        return AdminSessions(configuration: configuration, passwordHash: passwordHash, now: now)
    }

    private init(configuration: AdminConfiguration, passwordHash: PasswordHash?, now: @escaping @Sendable () -> Date) {
        self.passwordHash = passwordHash
        apiTokenDigest = configuration.apiToken.isEmpty ? nil : Array(SHA256.hash(data: Array(configuration.apiToken.utf8)))
        idleLifetime = TimeInterval(configuration.sessionIdleMinutes * 60)
        maxLifetime = TimeInterval(configuration.sessionMaxHours * 3600)
        maxFailures = configuration.maxFailedLogins
        lockout = TimeInterval(configuration.lockoutMinutes * 60)
        clients = ClientAddressResolver(trustedProxies: configuration.trustedProxies)
        self.now = now
    }

    /// Whether logins are possible at all.
    var loginEnabled: Bool { passwordHash != nil }
    /// Whether the JSON API is on.
    var apiEnabled: Bool { apiTokenDigest != nil }
    /// Whether the configured `admin.password_hash` costs less than new hashes do.
    var passwordHashIsWeak: Bool { passwordHash?.isWeakerThanDefault ?? false }
    /// How many passwords and API tokens have been checked (a refused attempt is not).
    var checkCount: Int { checks.load(ordering: .relaxed) }

    /// Checks a password typed from `client`; a success opens a session.
    func logIn(password: String, client: String) async -> LoginOutcome {
        let key = Self.lockoutKey(client)
        if let refusal = admit(key, at: now()) { return refusal }
        checks.add(1, ordering: .relaxed)
        guard let passwordHash, await passwordHash.check(password) else {
            return recordFailure(key, at: now())
        }
        let clock = now()
        let token = Self.randomToken()
        let session = Session(csrfToken: Self.randomToken(), createdAt: clock, lastUsed: clock)
        state.withLock { state in
            recordSuccess(key, in: &state)
            state.sessions[Self.digest(token)] = session
            state.sessions = state.sessions.filter { !isExpired($0.value, at: clock) }
        }
        return .success(token: token)
    }

    /// The session of a cookie token, touched; `nil` when unknown or expired.
    func session(token: String) -> Session? {
        let clock = now()
        let key = Self.digest(token)
        return state.withLock { state in
            guard var session = state.sessions[key] else { return nil }
            guard !isExpired(session, at: clock) else {
                state.sessions[key] = nil
                return nil
            }
            session.lastUsed = clock
            state.sessions[key] = session
            return session
        }
    }

    /// Ends a session.
    func logOut(token: String) {
        _ = state.withLock { $0.sessions.removeValue(forKey: Self.digest(token)) }
    }

    /// Whether `given` is the session's CSRF token, compared in constant time.
    func isValidCSRF(_ given: String, for session: Session) -> Bool {
        LinkCode.constantTimeEqual(Array(given.utf8), Array(session.csrfToken.utf8))
    }

    /// Checks an API bearer token from `client`; wrong tokens count towards the lockout.
    func authorizeAPI(token: String, client: String) -> LoginOutcome {
        let key = Self.lockoutKey(client)
        if let refusal = admit(key, at: now()) { return refusal }
        checks.add(1, ordering: .relaxed)
        guard let apiTokenDigest, LinkCode.constantTimeEqual(Self.digest(token), apiTokenDigest) else {
            return recordFailure(key, at: now())
        }
        state.withLock { recordSuccess(key, in: &$0) }
        return .success(token: "")
    }

    /// Counts an attempt from `key` as in flight, or refuses it: during a lockout, and when the
    /// failures in the window plus the attempts in flight already reach the limit.
    private func admit(_ key: String, at clock: Date) -> LoginOutcome? {
        state.withLock { (state: inout State) -> LoginOutcome? in
            var failures = state.failures[key] ?? Failures()
            if let until = failures.lockedUntil {
                if until > clock { return .lockedOut(until: until) }
                failures.lockedUntil = nil
                failures.times = []
            }
            failures.times = failures.times.filter { clock.timeIntervalSince($0) < lockout }
            guard failures.times.count + failures.inFlight < maxFailures else {
                // The attempts in flight may all fail and lock the address out from about now.
                state.failures[key] = failures
                return .lockedOut(until: clock.addingTimeInterval(lockout))
            }
            failures.inFlight += 1
            state.failures[key] = failures
            return nil
        }
    }

    /// Ends an admitted attempt that succeeded: the failures are forgotten, unless other
    /// attempts from the address are still being checked (a burst, not a person logging in):
    /// then they keep counting, so that the burst gets no more checks than the limit.
    private func recordSuccess(_ key: String, in state: inout State) {
        guard var failures = state.failures[key] else { return }
        failures.inFlight = max(0, failures.inFlight - 1)
        state.failures[key] = failures.inFlight == 0 ? nil : failures
    }

    /// Ends an admitted attempt that failed; at the limit the address is locked out.
    private func recordFailure(_ key: String, at clock: Date) -> LoginOutcome {
        state.withLock { state in
            var failures = state.failures[key] ?? Failures()
            failures.inFlight = max(0, failures.inFlight - 1)
            failures.times = failures.times.filter { clock.timeIntervalSince($0) < lockout } + [clock]
            if failures.times.count >= maxFailures {
                let until = max(failures.lockedUntil ?? clock, clock.addingTimeInterval(lockout))
                failures.lockedUntil = until
                state.failures[key] = failures
                return .lockedOut(until: until)
            }
            state.failures[key] = failures
            // Bounded: forget addresses whose failures are all older than the window.
            if state.failures.count > 10_000 {
                state.failures = state.failures.filter { entry in
                    entry.value.inFlight > 0 || (entry.value.lockedUntil.map { $0 > clock }
                        ?? entry.value.times.contains { clock.timeIntervalSince($0) < lockout })
                }
            }
            return .wrongPassword(remaining: maxFailures - failures.times.count)
        }
    }

    /// What failures are counted under: the client's address, or for an IPv6 client its /64
    /// (`2001:db8:1:2::/64`), since one subscriber usually holds a whole /64. An IPv4 address
    /// in IPv6 form counts as the IPv4 address.
    static func lockoutKey(_ client: String) -> String {
        guard let address = IPAddress(client) else { return client }
        if let v4 = address.ipv4Mapped { return v4.description }
        guard !address.isIPv4, let block = IPAddress(bytes: Array(address.bytes.prefix(8)) + Array(repeating: 0, count: 8)) else {
            return address.description
        }
        return "\(block)/64"
    }

    private func isExpired(_ session: Session, at clock: Date) -> Bool {
        clock.timeIntervalSince(session.lastUsed) > idleLifetime || clock.timeIntervalSince(session.createdAt) > maxLifetime
    }

    /// The `Retry-After` of a lockout ending at `until`: whole seconds, at least 1.
    static func retryAfter(_ until: Date) -> String {
        String(max(1, Int(until.timeIntervalSinceNow.rounded(.up))))
    }

    /// 32 random bytes, base64url without padding.
    static func randomToken() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    private static func digest(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }
}
