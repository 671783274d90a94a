import ChannelKit
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

    static func sessions(maxFailures: Int = 3) async throws -> AdminSessions {
        var configuration = AdminConfiguration()
        configuration.password = AdminPortalTests.password
        configuration.passwordHashRounds = 1 << 10
        configuration.maxFailedLogins = maxFailures
        return try await AdminSessions.make(configuration: configuration)
    }

    @Test("an IPv6 client is counted by its /64: failures from several of its addresses lock out the whole block, not the next one")
    func ipv6Blocks() async throws {
        let sessions = try await Self.sessions()
        for suffix in ["a", "b", "c"] {
            _ = await sessions.logIn(password: "wrong password", client: "2001:db8:1:2::\(suffix)")
        }
        guard case .lockedOut = await sessions.logIn(password: AdminPortalTests.password, client: "2001:db8:1:2:ffff:1:2:3") else {
            Issue.record("another address of the same /64 was let in")
            return
        }
        guard case .success = await sessions.logIn(password: AdminPortalTests.password, client: "2001:db8:1:3::1") else {
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
        for _ in 0..<2 { _ = await sessions.logIn(password: "wrong password", client: "192.0.2.1") }
        guard case .success = await sessions.logIn(password: AdminPortalTests.password, client: "192.0.2.1") else {
            Issue.record("the right password was refused before the limit")
            return
        }
        for _ in 0..<2 {
            guard case .wrongPassword = await sessions.logIn(password: "wrong password", client: "192.0.2.1") else {
                Issue.record("the failures before the success still counted")
                return
            }
        }
        guard case .lockedOut = sessions.authorizeAPI(token: "not the token", client: "192.0.2.1") else {
            Issue.record("the third failure (a wrong API token) did not lock out")
            return
        }
        let checked = sessions.checkCount
        guard case .lockedOut = await sessions.logIn(password: AdminPortalTests.password, client: "192.0.2.1") else {
            Issue.record("a locked-out client got in")
            return
        }
        #expect(sessions.checkCount == checked, "nothing is checked during a lockout")
    }
}
