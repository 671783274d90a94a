import Foundation
import PostgreSQLTesting
import Synchronization
import Testing
@testable import ChannelHost

extension ProcessHeavyTests {
    /// Several real `sandra` processes on one PostgreSQL database behave like one host: any of
    /// them takes any webhook, each message is answered once and in order per sender, a host
    /// killed mid-burst leaves nothing unanswered, and sessions and settings are shared.
    @Suite("Several hosts on one PostgreSQL", .serialized)
    struct MultiHostTests {
        static let secretKey = String(repeating: "5a", count: 32)
        static let adminPassword = "several-hosts-password"
        static let apiToken = "several-hosts-api-token-0123456789"

        /// One host of the group, sending to the emulator.
        static func hostConfig(port: Int, emulatorPort: Int, databaseURL: String, leaseSeconds: Int = 4,
                               connectTimeoutSeconds: Int = 10, maxMessageBytes: Int = 1000) -> String {
            """
            server: { host: 127.0.0.1, port: \(port), shutdown_timeout_seconds: 5 }
            storage:
              path: \(makeTemporaryDirectory())/unused.sqlite
              postgres: { url: "\(databaseURL)", pool_size: 8, connect_timeout_seconds: \(connectTimeoutSeconds) }
            pipeline: { max_concurrent_conversations: 64, send_attempts: 8, lease_seconds: \(leaseSeconds) }
            assistant: { type: echo }
            identity: { enabled: false }
            admin: { password: \(adminPassword), api_token: \(apiToken), secret_key: "\(secretKey)" }
            channels:
              instagram:
                type: instagram
                sandbox: false
                access_token: \(DurabilityTests.accessToken)
                app_secret: \(InstagramFixtures.appSecret)
                verify_token: \(InstagramFixtures.verifyToken)
                graph_api_base_url: http://127.0.0.1:\(emulatorPort)/sandbox/instagram/graph
                max_message_bytes: \(maxMessageBytes)
            """
        }

        /// The emulator, then `count` hosts on `database`, or on a fresh database of the shared cluster.
        static func launchGroup(count: Int, database given: String? = nil, leaseSeconds: Int = 4, connectTimeoutSeconds: Int = 10,
                                maxMessageBytes: Int = 1000) async throws -> (emulator: ChildHost, hosts: [ChildHost]) {
            let emulator = try await ChildHost.launch(configuredFor: { try DurabilityTests.write(DurabilityTests.emulatorConfig(port: $0)) }).host
            let database: String
            if let given {
                database = given
            } else {
                do {
                    database = try await TestPostgreSQLCluster.shared().createDatabase(prefix: "hosts")
                } catch {
                    emulator.terminateInBackground()
                    throw error
                }
            }
            var hosts: [ChildHost] = []
            do {
                for _ in 0..<count {
                    hosts.append(try await ChildHost.launch(configuredFor: { port in
                        try DurabilityTests.write(Self.hostConfig(port: port, emulatorPort: emulator.port, databaseURL: database,
                                                                  leaseSeconds: leaseSeconds, connectTimeoutSeconds: connectTimeoutSeconds,
                                                                  maxMessageBytes: maxMessageBytes))
                        // SANDRA_TEST_HOST_LOG_LEVEL=info (read here, not by the hosts) to see more of what they did.
                    }, logLevel: ProcessInfo.processInfo.environment["SANDRA_TEST_HOST_LOG_LEVEL"] ?? "warning").host)
                }
            } catch {
                emulator.terminateInBackground()
                for host in hosts { host.killInBackground() }
                throw error
            }
            return (emulator, hosts)
        }

        static func deliver(_ payload: [UInt8], to host: ChildHost) async -> Int? {
            try? await TestHTTP.request("POST", "\(host.baseURL)/api/channels/instagram",
                                        headers: ["X-Hub-Signature-256": InstagramFixtures.signature(payload),
                                                  "Content-Type": "application/json"],
                                        body: payload).status
        }

        @Test("2,000 webhooks from 50 senders, each to one of three hosts at random, one host killed with SIGKILL mid-burst: every message answered, in order per sender, duplicates only from sends in flight",
              .timeLimit(.minutes(10)))
        func burstAcrossHostsWithAKill() async throws {
            let (emulator, hosts) = try await Self.launchGroup(count: 3)
            defer {
                emulator.terminateInBackground()
                for host in hosts { host.killInBackground() }
            }
            let faults = try await TestHTTP.request("POST", "\(emulator.baseURL)/sandbox/instagram/api/faults",
                                                    headers: ["Content-Type": "application/json"], body: Array(#"{"delay_ms": 4}"#.utf8))
            #expect(faults.status == 200)
            let senders = 50, perSender = 40, total = senders * perSender
            let base = Int64(Date().timeIntervalSince1970 * 1000) - 60_000
            func body(_ sender: Int, _ index: Int) -> [UInt8] {
                InstagramFixtures.body(sender: "snd\(sender)", mid: "mh.\(sender).\(index)", text: "s\(sender) m\(index)",
                                       timestamp: base + Int64(index))
            }
            let acknowledged = Counter()
            let dead = DeadHosts()
            let victim = 0
            try await withThrowingTaskGroup(of: Void.self) { group in
                for sender in 0..<senders {
                    group.addTask {
                        for index in 0..<perSender {
                            let payload = body(sender, index)
                            var failures = 0
                            while true {
                                // Like a load balancer: any live host; like Meta: again on failure.
                                let live = (0..<hosts.count).filter { !dead.contains($0) }
                                let host = hosts[live.randomElement()!]
                                if await Self.deliver(payload, to: host) == 200 { break }
                                failures += 1
                                guard failures < 200 else { throw TestFailure("delivery mh.\(sender).\(index) failed \(failures) times") }
                                try await Task.sleep(for: .milliseconds(20))
                            }
                            if acknowledged.increment() == 600 {
                                dead.insert(victim)
                                await hosts[victim].kill()
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(acknowledged.value == total)

            let replies = try await BurstReplies.collect(emulator: emulator.baseURL, total: total)
            #expect(replies.copies.count == total, "\(total - replies.copies.count) messages were never answered")
            for sender in 0..<senders {
                #expect(replies.firstSeen["snd\(sender)"] == Array(0..<perSender), "sender \(sender) answered out of order or incompletely")
            }
            let duplicated = replies.duplicated
            // Only a send in flight on the killed host can go twice: at most one per conversation.
            #expect(duplicated.allSatisfy { $0 == 2 } && duplicated.count <= senders, "\(duplicated.count) messages answered twice")
            for host in hosts.indices where host != victim {
                #expect(await hosts[host].terminate() == 0)
            }
        }

        @Test("the same webhook delivered to two hosts at the same moment is answered once; a session made on one host works on the other; a setting saved on one applies on the other within seconds",
              .timeLimit(.minutes(5)))
        func sharedIntakeSessionsAndSettings() async throws {
            let (emulator, hosts) = try await Self.launchGroup(count: 2)
            defer {
                emulator.terminateInBackground()
                for host in hosts { host.killInBackground() }
            }
            let base = Int64(Date().timeIntervalSince1970 * 1000)
            for index in 0..<20 {
                let payload = InstagramFixtures.body(sender: "twin\(index % 4)", mid: "twin.\(index)", text: "twin \(index)",
                                                     timestamp: base + Int64(index))
                async let first = Self.deliver(payload, to: hosts[0])
                async let second = Self.deliver(payload, to: hosts[1])
                let statuses = await [first, second]
                #expect(statuses == [200, 200])
            }
            let sent = try await DurabilityTests.sentTexts(emulator: emulator.baseURL, minimum: 20)
            // One more message per sender: once each is answered, everything before it in its
            // conversation is finished, so a second reply would have come by then.
            for sender in 0..<4 {
                let last = InstagramFixtures.body(sender: "twin\(sender)", mid: "twin.last.\(sender)", text: "last", timestamp: base + 1_000)
                #expect(await Self.deliver(last, to: hosts[sender % 2]) == 200)
            }
            let after = try await DurabilityTests.sentTexts(emulator: emulator.baseURL, minimum: sent.count + 4)
            let twins = after.filter { $0.text.contains("twin ") }
            #expect(twins.count == 20, "\(twins.count) replies to 20 messages each delivered twice")

            // A session made on host 0 works on host 1.
            let admin = AdminClient(baseURL: hosts[0].baseURL)
            #expect(try await admin.logIn(Self.adminPassword).status == 303)
            let cookie = try #require(admin.cookie("sandra_admin"))
            let onOther = try await TestHTTP.request("GET", "\(hosts[1].baseURL)/admin/channels", headers: ["Cookie": "sandra_admin=\(cookie)"])
            #expect(onOther.status == 200, "the session is known to the other host")

            // A new app secret saved through host 0 is what host 1 checks signatures with, within seconds.
            let newSecret = "rotated-app-secret-\(UUID().uuidString.prefix(8))"
            let patch = try await TestHTTP.request("PATCH", "\(hosts[0].baseURL)/admin/api/channels/instagram/settings",
                                                   headers: ["Authorization": "Bearer \(Self.apiToken)", "Content-Type": "application/json"],
                                                   body: Array(#"{"values":{"app_secret":"\#(newSecret)"}}"#.utf8))
            #expect(patch.status == 200)
            let started = Date()
            var accepted = false
            for attempt in 0..<200 where !accepted {
                let payload = InstagramFixtures.body(sender: "rot", mid: "rot.\(attempt)", text: "rotated", timestamp: base + 2_000)
                let status = try await TestHTTP.request("POST", "\(hosts[1].baseURL)/api/channels/instagram",
                                                        headers: ["X-Hub-Signature-256": InstagramFixtures.signature(payload, secret: newSecret),
                                                                  "Content-Type": "application/json"], body: payload).status
                accepted = status == 200
                if !accepted { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(accepted, "host 1 never took the secret saved through host 0")
            #expect(Date().timeIntervalSince(started) < 10, "took \(Date().timeIntervalSince(started)) s")
        }
    }
}

/// The hosts a test has killed.
final class DeadHosts: Sendable {
    private let set = Mutex<Set<Int>>([])
    func insert(_ host: Int) { set.withLock { _ = $0.insert(host) } }
    func contains(_ host: Int) -> Bool { set.withLock { $0.contains(host) } }
}
