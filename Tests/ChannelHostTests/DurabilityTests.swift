import Foundation
import Synchronization
import Testing
@testable import ChannelHost

extension ProcessHeavyTests {
    /// Faults with real processes: the host killed with SIGKILL in the middle of a burst and
    /// restarted on the same database, a Send API that fails often, redelivery of everything,
    /// and a store that is full.
    @Suite("Durability", .serialized)
    struct DurabilityTests {
        static let accessToken = "durability-token"

        /// A `sandra` in sandbox mode, used only for its emulated Send API.
        static func emulatorConfig(port: Int) -> String {
            """
            server: { host: 127.0.0.1, port: \(port) }
            storage: { path: \(makeTemporaryDirectory())/emulator.sqlite }
            channels:
              instagram:
                type: instagram
                sandbox: true
                access_token: \(accessToken)
                app_secret: emulator-only
            """
        }

        /// The host under test, sending to the emulator.
        static func hostConfig(port: Int, emulatorPort: Int, data: String) -> String {
            """
            server: { host: 127.0.0.1, port: \(port), shutdown_timeout_seconds: 5 }
            storage: { path: \(data)/sandra.sqlite }
            pipeline: { max_concurrent_conversations: 64, send_attempts: 8 }
            assistant: { type: echo }
            identity: { enabled: false }
            channels:
              instagram:
                type: instagram
                sandbox: false
                access_token: \(accessToken)
                app_secret: \(InstagramFixtures.appSecret)
                verify_token: \(InstagramFixtures.verifyToken)
                graph_api_base_url: http://127.0.0.1:\(emulatorPort)/sandbox/instagram/graph
            """
        }

        static func write(_ text: String) throws -> String {
            let path = makeTemporaryDirectory() + "/channels.yaml"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        /// Texts the emulator received, per recipient, in arrival order; waits for at least `minimum`.
        static func sentTexts(emulator: String, minimum: Int) async throws -> [(recipient: String, text: String)] {
            // Long polls shorter than a test request's 30 s deadline, for up to three minutes.
            let deadline = ContinuousClock.now + .seconds(180)
            while true {
                let reply = try await TestHTTP.get("\(emulator)/sandbox/instagram/api/outbox?min_texts=\(minimum)&timeout_ms=20000")
                let items = try #require(try reply.json() as? [[String: Any]])
                let texts: [(recipient: String, text: String)] = items.compactMap { item in
                    guard let text = item["text"] as? String, let recipient = item["recipient"] as? String else { return nil }
                    return (recipient, text)
                }
                if texts.count >= minimum || ContinuousClock.now >= deadline { return texts }
            }
        }

        @Test("kill -9 in the middle of a 2,000-message burst: after a restart every message is answered, in order, none twice but in-flight sends")
        func killAndRestart() async throws {
            let emulator = try await ChildHost.launch(configuredFor: { try Self.write(Self.emulatorConfig(port: $0)) }).host
            defer { emulator.terminateInBackground() }
            // A slow Send API, so that sends are in flight when the host dies.
            let faults = try await TestHTTP.request("POST", "\(emulator.baseURL)/sandbox/instagram/api/faults",
                                                    headers: ["Content-Type": "application/json"], body: Array(#"{"delay_ms": 4}"#.utf8))
            #expect(faults.status == 200)

            let data = makeTemporaryDirectory()
            let (firstRun, config) = try await ChildHost.launch(configuredFor: { port in
                try Self.write(Self.hostConfig(port: port, emulatorPort: emulator.port, data: data))
            })
            let port = firstRun.port
            let current = HostSlot(firstRun)

            let senders = 50, perSender = 40, total = senders * perSender
            let base = Int64(Date().timeIntervalSince1970 * 1000) - 60_000
            func body(_ sender: Int, _ index: Int) -> [UInt8] {
                InstagramFixtures.body(sender: "snd\(sender)", mid: "k.\(sender).\(index)", text: "s\(sender) m\(index)",
                                       timestamp: base + Int64(index))
            }
            let acknowledged = Counter()
            let (killed, killSignal) = AsyncStream.makeStream(of: Void.self)
            let availability = HostAvailability()
            // Whatever happens below, no host of this test outlives it.
            defer { current.host?.killInBackground() }

            // The killer: once 600 deliveries were acknowledged, SIGKILL, then start again on the same database.
            let killer = Task {
                for await _ in killed { break }
                guard !Task.isCancelled else { return }
                await availability.markDown()
                await current.host?.kill()
                do {
                    current.host = try await ChildHost.launch(config: config, port: port, logLevel: "info")
                    await availability.markUp()
                } catch {
                    await availability.markFailed("the restart failed: \(error)")
                    throw error
                }
            }

            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for sender in 0..<senders {
                        group.addTask {
                            for index in 0..<perSender {
                                let payload = body(sender, index)
                                var failures = 0
                                while true {
                                    try await availability.waitUntilUp()
                                    let status = try? await TestHTTP.request(
                                        "POST", "http://127.0.0.1:\(port)/api/channels/instagram",
                                        headers: ["X-Hub-Signature-256": InstagramFixtures.signature(payload), "Content-Type": "application/json"],
                                        body: payload).status
                                    if status == 200 { break }
                                    // Like Meta: the delivery failed (host down or draining); deliver it again a little later.
                                    failures += 1
                                    guard failures < 200 else {
                                        throw TestFailure("delivery k.\(sender).\(index) failed \(failures) times, the last with \(status.map { "\($0)" } ?? "no answer")")
                                    }
                                    try await Task.sleep(for: .milliseconds(20))
                                }
                                let count = acknowledged.increment()
                                if count == 600 { killSignal.finish() }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            } catch {
                killer.cancel()
                throw error
            }
            try await killer.value
            #expect(acknowledged.value == total)

            // Every message's reply; duplicates (in-flight sends resent after the restart) included.
            let replies = try await BurstReplies.collect(emulator: emulator.baseURL, total: total)
            #expect(replies.copies.count == total)
            // The restart really took over unfinished work.
            let restartLog = try #require(current.host).log
            #expect(restartLog.contains("resuming earlier work"))
            for sender in 0..<senders {
                #expect(replies.firstSeen["snd\(sender)"] == Array(0..<perSender), "sender \(sender) answered out of order or incompletely")
            }
            let duplicated = replies.duplicated
            #expect(duplicated.allSatisfy { $0 == 2 })
            // At most one send per conversation was in flight at the kill.
            #expect(duplicated.count <= senders, "\(duplicated.count) messages were answered twice")

            // The whole burst again, after completion: nothing new. A fresh message per sender
            // then proves the host processed everything before it (one conversation is in order).
            let host = try #require(current.host)
            let before = replies.sendCount
            try await withThrowingTaskGroup(of: Void.self) { group in
                for sender in 0..<senders {
                    group.addTask {
                        for index in 0..<perSender {
                            let payload = body(sender, index)
                            let reply = try await TestHTTP.request("POST", "\(host.baseURL)/api/channels/instagram",
                                                                   headers: ["X-Hub-Signature-256": InstagramFixtures.signature(payload)], body: payload)
                            #expect(reply.status == 200)
                        }
                        let last = InstagramFixtures.body(sender: "snd\(sender)", mid: "k.\(sender).final", text: "s\(sender) final",
                                                          timestamp: base + 10_000)
                        _ = try await TestHTTP.request("POST", "\(host.baseURL)/api/channels/instagram",
                                                       headers: ["X-Hub-Signature-256": InstagramFixtures.signature(last)], body: last)
                    }
                }
                try await group.waitForAll()
            }
            let sent = try await Self.sentTexts(emulator: emulator.baseURL, minimum: before + senders)
            #expect(sent.count == before + senders)
            #expect(sent.suffix(senders).allSatisfy { $0.text.contains("final") })
            #expect(await host.terminate() == 0)
        }

        @Test("SIGTERM ends the host even while a client holds a request open: the shutdown is escalated after its deadline")
        func terminateWithARequestHeldOpen() async throws {
            let data = makeTemporaryDirectory()
            let host = try await ChildHost.launch(configuredFor: { port in
                try Self.write("""
                    server: { host: 127.0.0.1, port: \(port), shutdown_timeout_seconds: 1 }
                    storage: { path: \(data)/sandra.sqlite }
                    channels:
                      instagram: { type: instagram, sandbox: true }
                    """)
            }).host
            defer { host.killInBackground() }
            // A sandbox page's long poll, answered only when 99 texts were sent or after 10 minutes.
            let poll = Task {
                try? await TestHTTP.get("\(host.baseURL)/sandbox/instagram/api/outbox?min_texts=99&timeout_ms=600000")
            }
            // The poll is open once the server counts it; a request that checks readiness first proves the server is up.
            #expect(try await TestHTTP.get("\(host.baseURL)/healthz").status == 200)
            // Liveness, not speed: the deadline is 1 s and the margin 5 s; without the escalation
            // the host would wait the poll's 10 minutes.
            let status = await value(within: .seconds(60)) { await host.terminate() }
            #expect(status == 0, "the host did not exit within 60 s of SIGTERM")
            poll.cancel()
        }

        @Test("a Send API failing 30% of calls with 500, 429 and code 613: every reply still arrives, once, in order")
        func flakySendAPI() async throws {
            let yaml = EndToEndTests.yaml(extraChannelKeys: "").replacingOccurrences(of: "send_attempts: 3", with: "send_attempts: 6")
            try await withHost(yaml: yaml) { host in
                let faults = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/instagram/api/faults",
                                                        headers: ["Content-Type": "application/json"],
                                                        body: Array(#"{"failure_rate": 0.3, "kinds": ["500", "429", "613"], "seed": 11}"#.utf8))
                #expect(faults.status == 200)
                let base = Int64(Date().timeIntervalSince1970 * 1000)
                for index in 0..<15 {
                    var messages: [InstagramFixtures.Message] = []
                    for sender in 0..<8 {
                        messages.append(.init(sender: "f\(sender)", mid: "f.\(sender).\(index)", text: "n\(index)", timestamp: base + Int64(index)))
                    }
                    #expect(try await EndToEndTests.post(host, body: InstagramFixtures.body(messages)).status == 200)
                }
                await host.waitUntilIdle()
                let sent = try await EndToEndTests.outbox(host)
                for sender in 0..<8 {
                    let texts = sent.filter { $0.recipient == "f\(sender)" }.compactMap(\.text)
                    let said = texts.compactMap { text in text.range(of: #"You said: n\d+"#, options: .regularExpression).map { String(text[$0]) } }
                    #expect(said == (0..<15).map { "You said: n\($0)" })
                }
            }
        }

        @Test("a full store answers 503 so Meta delivers again, and the host stays up")
        func fullStore() async throws {
            let yaml = EndToEndTests.yaml().replacingOccurrences(of: "path: {{DATA}}/sandra.sqlite", with: "path: {{DATA}}/sandra.sqlite\n  max_size_mb: 1")
            try await withHost(yaml: yaml) { host in
                let filler = String(repeating: "a long message to fill the store ", count: 200)
                var statuses: [Int] = []
                for index in 0..<400 {
                    let status = try await EndToEndTests.post(host, body: InstagramFixtures.body(sender: "full\(index % 5)", mid: "full.\(index)", text: filler)).status
                    statuses.append(status)
                    if status == 503 { break }
                }
                #expect(statuses.first == 200)
                #expect(statuses.last == 503)
                #expect(Set(statuses).isSubset(of: [200, 503]))
                #expect(try await TestHTTP.get("\(host.baseURL)/healthz").status == 200)
                let handshake = try await TestHTTP.get("\(host.baseURL)/api/channels/instagram?hub.mode=subscribe&hub.challenge=42&hub.verify_token=\(InstagramFixtures.verifyToken)")
                #expect(handshake.text == "42")
            }
        }
    }
}

/// Whether the host under test is up, for senders that deliver again after a failure.
actor HostAvailability {
    private enum State {
        case up, down
        case failed(String)
    }

    private var state = State.up
    private var waiters: [CheckedContinuation<Void, any Error>] = []

    /// Returns at once while the host is up, waits while it is down, and throws once it will not come back.
    func waitUntilUp() async throws {
        switch state {
        case .up: return
        case .failed(let reason): throw TestFailure(reason)
        case .down: try await withCheckedThrowingContinuation { waiters.append($0) }
        }
    }

    func markDown() { state = .down }

    func markUp() {
        state = .up
        resumeWaiters(with: .success(()))
    }

    func markFailed(_ reason: String) {
        state = .failed(reason)
        resumeWaiters(with: .failure(TestFailure(reason)))
    }

    private func resumeWaiters(with result: Result<Void, any Error>) {
        let current = waiters
        waiters.removeAll()
        for waiter in current { waiter.resume(with: result) }
    }
}

/// The child host currently running.
final class HostSlot: Sendable {
    private let slot: Mutex<ChildHost?>
    init(_ host: ChildHost?) { slot = Mutex(host) }
    var host: ChildHost? {
        get { slot.withLock { $0 } }
        set { slot.withLock { $0 = newValue } }
    }
}

/// A thread-safe counter.
final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() -> Int { count.withLock { $0 += 1; return $0 } }
    var value: Int { count.withLock { $0 } }
}

@Suite("Unauthorized channel", .serialized)
struct UnauthorizedChannelTests {
    @Test("code 190 marks the channel unauthorized in /readyz and pauses its sends; a good token resumes them")
    func unauthorized() async throws {
        let yaml = EndToEndTests.yaml().replacingOccurrences(of: "send_attempts: 3", with: "send_attempts: 3\n  unauthorized_pause_seconds: 1")
        try await withHost(yaml: yaml) { host in
            let faults = "\(host.baseURL)/sandbox/instagram/api/faults"
            #expect(try await TestHTTP.request("POST", faults, headers: ["Content-Type": "application/json"],
                                               body: Array(#"{"failure_rate": 1, "kinds": ["190"]}"#.utf8)).status == 200)
            #expect(try await EndToEndTests.post(host, body: InstagramFixtures.body(sender: "u190", mid: "m.190", text: "hello")).status == 200)
            // Wait (bounded) until readiness reports the refused token.
            var report: [String: Any] = [:]
            var status = 0
            for _ in 0..<500 {
                let ready = try await TestHTTP.get("\(host.baseURL)/readyz")
                status = ready.status
                report = (try? ready.json() as? [String: Any]) ?? [:]
                if status == 503 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(status == 503)
            let channel = (report["channels"] as? [String: Any])?["instagram"] as? [String: Any]
            #expect(channel?["state"] as? String == "unauthorized")
            #expect((channel?["detail"] as? String)?.contains("190") == true)
            // The token works again: the paused reply goes out once, and the channel is ready.
            #expect(try await TestHTTP.request("POST", faults, headers: ["Content-Type": "application/json"],
                                               body: Array(#"{"failure_rate": 0}"#.utf8)).status == 200)
            await host.waitUntilIdle()
            let texts = try await EndToEndTests.outbox(host).filter { $0.recipient == "u190" }.compactMap(\.text)
            #expect(texts.count == 1)
            #expect(try await TestHTTP.get("\(host.baseURL)/readyz").status == 200)
        }
    }
}
