import ChannelKit
import Crypto
import Foundation
import Synchronization

/// Who is logged in to the admin portal, and who is locked out.
///
/// Sessions live in memory (a restart logs everyone out). The cookie carries a random
/// 256-bit token; the table is keyed by its SHA-256, so the tokens themselves are kept nowhere.
/// Each session has its own CSRF token, which every form carries. Failed logins are counted
/// per client address; at the limit the address is locked out for the lockout period, and
/// attempts during a lockout are refused without checking the password.
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

    /// Checks a password typed from `client`; a success opens a session.
    func logIn(password: String, client: String) async -> LoginOutcome {
        let clock = now()
        if let until = lockedUntil(client, at: clock) { return .lockedOut(until: until) }
        guard let passwordHash, await passwordHash.check(password) else {
            return recordFailure(client, at: clock)
        }
        let token = Self.randomToken()
        let session = Session(csrfToken: Self.randomToken(), createdAt: clock, lastUsed: clock)
        state.withLock { state in
            state.failures[client] = nil
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
        let clock = now()
        if let until = lockedUntil(client, at: clock) { return .lockedOut(until: until) }
        guard let apiTokenDigest, LinkCode.constantTimeEqual(Self.digest(token), apiTokenDigest) else {
            return recordFailure(client, at: clock)
        }
        return .success(token: "")
    }

    private func lockedUntil(_ client: String, at clock: Date) -> Date? {
        state.withLock { state in
            guard let until = state.failures[client]?.lockedUntil else { return nil }
            if until > clock { return until }
            state.failures[client] = nil
            return nil
        }
    }

    private func recordFailure(_ client: String, at clock: Date) -> LoginOutcome {
        state.withLock { state in
            var failures = state.failures[client] ?? Failures()
            failures.times = failures.times.filter { clock.timeIntervalSince($0) < lockout } + [clock]
            if failures.times.count >= maxFailures {
                let until = clock.addingTimeInterval(lockout)
                failures.lockedUntil = until
                state.failures[client] = failures
                return .lockedOut(until: until)
            }
            state.failures[client] = failures
            // Bounded: forget addresses whose failures are all older than the window.
            if state.failures.count > 10_000 {
                state.failures = state.failures.filter { entry in
                    entry.value.lockedUntil.map { $0 > clock } ?? entry.value.times.contains { clock.timeIntervalSince($0) < lockout }
                }
            }
            return .wrongPassword(remaining: maxFailures - failures.times.count)
        }
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
