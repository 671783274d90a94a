import ChannelIdentity
import ChannelKit
import Crypto
import Foundation
import Synchronization

/// Who is logged in to the admin portal, and who is locked out — kept in the store
/// (``SharedStateStore``), so that every host of one store shares them: a session made through
/// one host works on the others, and failures through any host count towards one lockout.
///
/// The cookie carries a random 256-bit token; the store keys the session by its SHA-256, so
/// the tokens themselves are kept nowhere, and the session's CSRF token is derived from the
/// cookie token (a keyed hash), so it is kept nowhere either. Failed logins are counted per
/// client address (an IPv6 client per /64, the block one subscriber usually holds); at the
/// limit the address is locked out for the lockout period, and attempts during a lockout are
/// refused without checking the password. An attempt is counted before its password is
/// checked: while checks are running, failures plus attempts in flight may not pass the limit,
/// so a burst of parallel logins gets no more guesses than a sequence of them. An attempt in
/// flight on a host that died stops counting after ``abandonedAttemptSeconds``.
final class AdminSessions: Sendable {
    /// A logged-in session.
    struct Session: Sendable {
        /// The token every form of this session carries.
        let csrfToken: String
        let createdAt: Date
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

    /// The shared-state scope of sessions (keyed by the hex SHA-256 of the cookie token).
    static let sessionScope = "admin.session"
    /// The shared-state scope of failed-login counts (keyed by ``lockoutKey(_:)``).
    static let loginScope = "admin.login"
    /// A session's last use is written again only when older than this, so that browsing the
    /// portal does not write to the store on every page.
    static let touchIntervalSeconds: TimeInterval = 60
    /// An attempt in flight this long is one whose host died while checking it.
    static let abandonedAttemptSeconds: TimeInterval = 60

    private let store: any SharedStateStore
    private let passwordHash: PasswordHash?
    private let apiTokenDigest: [UInt8]?
    private let idleLifetime: TimeInterval
    private let maxLifetime: TimeInterval
    private let limits: LoginFailures.Limits
    private let now: @Sendable () -> Date
    private let checks = Atomic<Int>(0)
    /// Tells who a request comes from (failures are counted per client).
    let clients: ClientAddressResolver

    /// Creates the table; the password is hashed here (off the request tasks) and not kept.
    /// - Throws: when the password cannot be hashed.
    static func make(configuration: AdminConfiguration, store: any SharedStateStore,
                     now: @escaping @Sendable () -> Date = { Date() }) async throws -> AdminSessions {
        let passwordHash: PasswordHash?
        if !configuration.passwordHash.isEmpty {
            passwordHash = PasswordHash(encoded: configuration.passwordHash)
        } else if !configuration.password.isEmpty {
            passwordHash = try await PasswordHash.hashed(configuration.password, rounds: configuration.passwordHashRounds)
        } else {
            passwordHash = nil
        }
        return AdminSessions(configuration: configuration, store: store, passwordHash: passwordHash, now: now)
    }

    private init(configuration: AdminConfiguration, store: any SharedStateStore, passwordHash: PasswordHash?,
                 now: @escaping @Sendable () -> Date) {
        self.store = store
        self.passwordHash = passwordHash
        apiTokenDigest = configuration.apiToken.isEmpty ? nil : Array(SHA256.hash(data: Array(configuration.apiToken.utf8)))
        idleLifetime = TimeInterval(configuration.sessionIdleMinutes * 60)
        maxLifetime = TimeInterval(configuration.sessionMaxHours * 3600)
        limits = LoginFailures.Limits(maxFailures: configuration.maxFailedLogins,
                                      lockout: TimeInterval(configuration.lockoutMinutes * 60),
                                      abandonedAfter: Self.abandonedAttemptSeconds)
        clients = ClientAddressResolver(trustedProxies: configuration.trustedProxies)
        self.now = now
    }

    /// Whether logins are possible at all.
    var loginEnabled: Bool { passwordHash != nil }
    /// Whether the JSON API is on.
    var apiEnabled: Bool { apiTokenDigest != nil }
    /// Whether the configured `admin.password_hash` costs less than new hashes do.
    var passwordHashIsWeak: Bool { passwordHash?.isWeakerThanDefault ?? false }
    /// How many passwords and API tokens this host has checked (a refused attempt is not).
    var checkCount: Int { checks.load(ordering: .relaxed) }

    /// Checks a password typed from `client`; a success opens a session.
    /// - Throws: the store's error.
    func logIn(password: String, client: String) async throws -> LoginOutcome {
        let key = Self.lockoutKey(client)
        let attempt = try await admit(key)
        guard case .admitted(let attemptID) = attempt else { return attempt.refusal! }
        checks.add(1, ordering: .relaxed)
        guard let passwordHash, await passwordHash.check(password) else {
            return try await finish(attemptID, of: key, failed: true)
        }
        _ = try await finish(attemptID, of: key, failed: false)
        let clock = now()
        let token = Self.randomToken()
        let record = SessionRecord(createdAt: clock, lastUsed: clock)
        try await store.setSharedValue(record.encoded, scope: Self.sessionScope, key: Self.digestKey(token),
                                       expiresAt: record.expiry(idle: idleLifetime, max: maxLifetime), at: clock)
        return .success(token: token)
    }

    /// The session of a cookie token, its last use recorded; `nil` when unknown or expired.
    /// - Throws: the store's error.
    func session(token: String) async throws -> Session? {
        let clock = now()
        let key = Self.digestKey(token)
        guard let text = try await store.sharedValue(scope: Self.sessionScope, key: key, at: clock),
              let record = SessionRecord(text) else { return nil }
        if clock.timeIntervalSince(record.lastUsed) >= Self.touchIntervalSeconds {
            let (idle, max) = (idleLifetime, maxLifetime)
            let touched = try await store.updateSharedValue(scope: Self.sessionScope, key: key, at: clock) { current in
                // Logged out (or expired) meanwhile: stays gone.
                guard let current, var record = SessionRecord(current) else { return .delete }
                record.lastUsed = clock
                return SharedValueUpdate(value: record.encoded, expiresAt: record.expiry(idle: idle, max: max))
            }
            guard touched.current != nil else { return nil }
        }
        return Session(csrfToken: Self.csrfToken(for: token), createdAt: record.createdAt)
    }

    /// Ends a session.
    /// - Throws: the store's error.
    func logOut(token: String) async throws {
        try await store.setSharedValue(nil, scope: Self.sessionScope, key: Self.digestKey(token), at: now())
    }

    /// Whether `given` is the session's CSRF token, compared in constant time.
    func isValidCSRF(_ given: String, for session: Session) -> Bool {
        LinkCode.constantTimeEqual(Array(given.utf8), Array(session.csrfToken.utf8))
    }

    /// Checks an API bearer token from `client`; wrong tokens count towards the lockout.
    /// - Throws: the store's error.
    func authorizeAPI(token: String, client: String) async throws -> LoginOutcome {
        let key = Self.lockoutKey(client)
        let attempt = try await admit(key)
        guard case .admitted(let attemptID) = attempt else { return attempt.refusal! }
        checks.add(1, ordering: .relaxed)
        guard let apiTokenDigest, LinkCode.constantTimeEqual(Self.digest(token), apiTokenDigest) else {
            return try await finish(attemptID, of: key, failed: true)
        }
        _ = try await finish(attemptID, of: key, failed: false)
        return .success(token: "")
    }

    /// Counts an attempt from `key` as in flight, or refuses it (see ``LoginFailures/admit(_:at:limits:)``).
    private func admit(_ key: String) async throws -> LoginFailures.Admission {
        let clock = now()
        let attemptID = UInt64.random(in: 1...UInt64.max)
        let limits = self.limits
        let change = try await store.updateSharedValue(scope: Self.loginScope, key: key, at: clock) { current in
            var failures = LoginFailures(current)
            _ = failures.admit(attemptID, at: clock, limits: limits)
            return failures.update(limits: limits)
        }
        var before = LoginFailures(change.previous)
        return before.admit(attemptID, at: clock, limits: limits)
    }

    /// Ends an admitted attempt (see ``LoginFailures/finish(_:failed:at:limits:)``).
    private func finish(_ attemptID: UInt64, of key: String, failed: Bool) async throws -> LoginOutcome {
        let clock = now()
        let limits = self.limits
        let change = try await store.updateSharedValue(scope: Self.loginScope, key: key, at: clock) { current in
            var failures = LoginFailures(current)
            _ = failures.finish(attemptID, failed: failed, at: clock, limits: limits)
            return failures.update(limits: limits)
        }
        var before = LoginFailures(change.previous)
        return before.finish(attemptID, failed: failed, at: clock, limits: limits)
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

    /// The store key of a session: the hex SHA-256 of its cookie token.
    static func digestKey(_ token: String) -> String {
        Hex.encode(digest(token))
    }

    /// A session's CSRF token: an HMAC of the cookie token, so that it is kept nowhere and
    /// every host derives the same one. Base64url without padding.
    static func csrfToken(for token: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("sandra admin csrf".utf8), using: SymmetricKey(data: Array(token.utf8)))
        return Data(mac).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
