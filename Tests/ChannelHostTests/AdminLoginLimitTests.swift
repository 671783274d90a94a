import ChannelKit
import ChannelKitTesting
import Foundation
import Testing
@testable import ChannelHost

/// The failed-login limit holds against a burst of parallel logins, and an IPv6 client cannot
/// step around it by changing addresses within its /64.
@Suite("Admin login limit")
struct AdminLoginLimitTests {
    @Test("51 parallel logins from one client (one with the right password) with a limit of 5: at most 5 passwords are checked, the rest get 429")
    func parallelLogins() async throws {
        let yaml = AdminPortalTests.yaml().replacingOccurrences(of: "max_failed_logins: 3", with: "max_failed_logins: 5")
        try await withHost(yaml: yaml) { host in
            // Each client first holds a login form (its CSRF cookie); then all of them post at once.
            var clients: [AdminClient] = []
            for _ in 0..<51 {
                let client = AdminClient(baseURL: host.baseURL)
                _ = try await client.get("/admin/login")
                clients.append(client)
            }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for (index, client) in clients.enumerated() {
                    let password = index == 25 ? AdminPortalTests.password : "wrong guess number \(index)"
                    group.addTask { try await client.post("/admin/login", [("password", password)]).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count == 51)
            let checked = host.runtime.adminSessions.checkCount
            #expect(checked <= 5, "\(checked) passwords were checked")
            // Each checked password answers 401 or 303, but the one reaching the limit answers 429.
            #expect(statuses.filter { $0 != 429 }.count <= checked, "\(statuses)")
            #expect(statuses.allSatisfy { [303, 401, 429].contains($0) }, "\(statuses)")
            if !statuses.contains(303) {
                // The right password lost the race: the client is now locked out, the password unchecked.
                #expect(try await AdminClient(baseURL: host.baseURL).logIn(AdminPortalTests.password).status == 429)
                #expect(host.runtime.adminSessions.checkCount == checked)
            }
        }
    }

    static func sessions(maxFailures: Int = 3, store: any SharedStateStore = InMemoryStore(),
                         now: @escaping @Sendable () -> Date = { Date() }) async throws -> AdminSessions {
        var configuration = AdminConfiguration()
        configuration.password = AdminPortalTests.password
        configuration.passwordHashRounds = 1 << 10
        configuration.maxFailedLogins = maxFailures
        return try await AdminSessions.make(configuration: configuration, store: store, now: now)
    }

    @Test("an IPv6 client is counted by its /64: failures from several of its addresses lock out the whole block, not the next one")
    func ipv6Blocks() async throws {
        let sessions = try await Self.sessions()
        for suffix in ["a", "b", "c"] {
            _ = try await sessions.logIn(password: "wrong password", client: "2001:db8:1:2::\(suffix)")
        }
        guard case .lockedOut = try await sessions.logIn(password: AdminPortalTests.password, client: "2001:db8:1:2:ffff:1:2:3") else {
            Issue.record("another address of the same /64 was let in")
            return
        }
        guard case .success = try await sessions.logIn(password: AdminPortalTests.password, client: "2001:db8:1:3::1") else {
            Issue.record("the next /64 was locked out too")
            return
        }
        #expect(AdminSessions.lockoutKey("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64")
        #expect(AdminSessions.lockoutKey("::ffff:192.0.2.7") == "192.0.2.7")
        #expect(AdminSessions.lockoutKey("192.0.2.7") == "192.0.2.7")
        #expect(AdminSessions.lockoutKey("unknown") == "unknown")
    }

    @Test("a success forgets the failures; the API token shares the count and is refused unchecked once locked out")
    func successAndAPI() async throws {
        let sessions = try await Self.sessions()
        for _ in 0..<2 { _ = try await sessions.logIn(password: "wrong password", client: "192.0.2.1") }
        guard case .success = try await sessions.logIn(password: AdminPortalTests.password, client: "192.0.2.1") else {
            Issue.record("the right password was refused before the limit")
            return
        }
        for _ in 0..<2 {
            guard case .wrongPassword = try await sessions.logIn(password: "wrong password", client: "192.0.2.1") else {
                Issue.record("the failures before the success still counted")
                return
            }
        }
        guard case .lockedOut = try await sessions.authorizeAPI(token: "not the token", client: "192.0.2.1") else {
            Issue.record("the third failure (a wrong API token) did not lock out")
            return
        }
        let checked = sessions.checkCount
        guard case .lockedOut = try await sessions.logIn(password: AdminPortalTests.password, client: "192.0.2.1") else {
            Issue.record("a locked-out client got in")
            return
        }
        #expect(sessions.checkCount == checked, "nothing is checked during a lockout")
    }

    @Test("two hosts of one store share sessions and failures: a session made on one works on the other, a logout on either ends it, failures through both lock out")
    func sharedAcrossHosts() async throws {
        let store = InMemoryStore()
        let clock = TestClock()
        let hostA = try await Self.sessions(store: store, now: clock.now)
        let hostB = try await Self.sessions(store: store, now: clock.now)
        guard case .success(let token) = try await hostA.logIn(password: AdminPortalTests.password, client: "192.0.2.9") else {
            Issue.record("the right password was refused")
            return
        }
        let onA = try #require(try await hostA.session(token: token))
        let onB = try #require(try await hostB.session(token: token), "a session made on one host works on the other")
        #expect(onA.csrfToken == onB.csrfToken, "both hosts derive the same CSRF token")
        #expect(hostB.isValidCSRF(onA.csrfToken, for: onB))
        #expect(try await hostB.session(token: token + "x") == nil)
        clock.advance(by: 29 * 60)
        #expect(try await hostB.session(token: token) != nil, "used within the idle lifetime: touched")
        clock.advance(by: 29 * 60)
        #expect(try await hostA.session(token: token) != nil, "the touch on one host counts on the other")
        clock.advance(by: 31 * 60)
        #expect(try await hostA.session(token: token) == nil, "idle past 30 minutes: gone")

        guard case .success(let second) = try await hostB.logIn(password: AdminPortalTests.password, client: "192.0.2.9") else {
            Issue.record("the right password was refused")
            return
        }
        try await hostA.logOut(token: second)
        #expect(try await hostB.session(token: second) == nil, "logged out on the other host")

        _ = try await hostA.logIn(password: "wrong password", client: "198.51.100.1")
        _ = try await hostB.logIn(password: "wrong password", client: "198.51.100.1")
        guard case .lockedOut = try await hostA.logIn(password: "wrong password", client: "198.51.100.1") else {
            Issue.record("three failures through two hosts did not lock out")
            return
        }
        let checked = hostB.checkCount
        guard case .lockedOut = try await hostB.logIn(password: AdminPortalTests.password, client: "198.51.100.1") else {
            Issue.record("the other host let a locked-out client in")
            return
        }
        #expect(hostB.checkCount == checked, "refused unchecked on the other host too")
        clock.advance(by: 15 * 60)
        guard case .success = try await hostB.logIn(password: AdminPortalTests.password, client: "198.51.100.1") else {
            Issue.record("the lockout did not end after lockout_minutes")
            return
        }
    }

    @Test("an attempt in flight on a host that died stops counting after a minute")
    func abandonedAttempts() {
        let limits = LoginFailures.Limits(maxFailures: 2, lockout: 900, abandonedAfter: 60)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var failures = LoginFailures(nil)
        #expect(failures.admit(1, at: start, limits: limits) == .admitted(1))
        #expect(failures.admit(2, at: start, limits: limits) == .admitted(2))
        #expect(failures.admit(3, at: start.addingTimeInterval(59), limits: limits).refusal != nil, "two in flight: the limit")
        // Neither attempt ever finishes (its host died); a minute on, they no longer count.
        let stored = failures.update(limits: limits).value
        #expect(stored != nil)
        var later = LoginFailures(stored)
        #expect(later.admit(4, at: start.addingTimeInterval(61), limits: limits) == .admitted(4))
        #expect(later.finish(4, failed: false, at: start.addingTimeInterval(62), limits: limits) == .success(token: ""))
        #expect(later.update(limits: limits) == .delete, "nothing left to keep")
    }
}
