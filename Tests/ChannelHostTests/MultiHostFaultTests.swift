import Foundation
import PostgreSQLTesting
import Synchronization
import Testing
@testable import ChannelHost

extension ProcessHeavyTests {
    /// Several real `sandra` processes on one PostgreSQL database through faults of a whole
    /// process: the database server stopping for a while, and a host frozen past its leases
    /// (SIGSTOP) and woken again (SIGCONT). Each message is still answered once (a send in flight
    /// at the moment of the fault aside) and in order per sender.
    @Suite("Several hosts through faults", .serialized)
    struct MultiHostFaultTests {
        @Test("PostgreSQL stops for ten seconds while two hosts take webhooks: webhooks answer 503 within the connect timeout, the hosts stay up and /readyz says the store is unreachable; once it is back every acknowledged message is answered once and in order, the replies owed before the outage too",
              .timeLimit(.minutes(4)))
        func databaseOutage() async throws {
            let cluster = try await Task.detached { try TestPostgreSQLCluster.start() }.value
            defer { cluster.remove() }
            let database = try await cluster.createDatabase(prefix: "outage")
            // A lease longer than the outage: no host takes another's conversation over meanwhile,
            // so nothing may be answered twice.
            let (emulator, hosts) = try await MultiHostTests.launchGroup(count: 2, database: database, leaseSeconds: 30,
                                                                         connectTimeoutSeconds: 2)
            defer {
                emulator.terminateInBackground()
                for host in hosts { host.killInBackground() }
            }
            // Slow sends: when the server stops, replies are owed and some are in flight.
            try await Self.setSendDelay(milliseconds: 600, on: emulator)

            let senders = 6, perSender = 8, total = senders * perSender
            let base = Int64(Date().timeIntervalSince1970 * 1000) - 60_000
            @Sendable func body(_ sender: Int, _ index: Int) -> [UInt8] {
                InstagramFixtures.body(sender: "out\(sender)", mid: "out.\(sender).\(index)", text: "s\(sender) m\(index)",
                                       timestamp: base + Int64(index))
            }
            let acknowledged = Counter()
            let refusals = Refusals()
            let deliveries = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for sender in 0..<senders {
                        group.addTask {
                            for index in 0..<perSender {
                                try await Self.deliverLikeMeta(body(sender, index), to: hosts, refusals: refusals)
                                _ = acknowledged.increment()
                                try await Task.sleep(for: .milliseconds(200))
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            defer { deliveries.cancel() }

            try await Self.waitUntil("a third of the messages acknowledged", within: .seconds(60)) {
                acknowledged.value >= senders * 3
            }
            // Stopped at no chosen moment. Known and not handled yet: a transaction under way at the
            // very moment the server is killed (a reply part being recorded just after its send) may
            // never end, as the client does not fail it, and holds its conversation.
            let stopped = ContinuousClock.now
            try await Task.detached { try cluster.stopServer() }.value
            let acknowledgedAtStop = acknowledged.value
            let answeredAtStop = Answers(try await Self.outbox(of: emulator)).copies.count
            #expect(answeredAtStop < acknowledgedAtStop, "no reply was owed when the server stopped: the test proves nothing")

            // While the server is down: the hosts live, refuse webhooks at once, and are not ready.
            for (number, host) in hosts.enumerated() {
                #expect(host.isRunning)
                #expect(try await TestHTTP.get("\(host.baseURL)/healthz").status == 200)
                let probe = InstagramFixtures.body(sender: "probe\(number)", mid: "probe.\(number)", text: "probe", timestamp: base)
                let started = ContinuousClock.now
                let status = await MultiHostTests.deliver(probe, to: host)
                let took = ContinuousClock.now - started
                #expect(status == 503)
                #expect(took < .seconds(6), "a webhook took \(took) to be refused; the connect timeout is 2 s")
                try await Self.waitUntil("host \(number)'s /readyz says the store is unreachable", within: .seconds(20)) {
                    await Self.readiness(of: host)?.store == "unreachable"
                }
                let ready = await Self.readiness(of: host)
                #expect(ready?.status == 503 && ready?.json["status"] as? String == "unavailable")
            }
            try await Task.sleep(until: stopped + .seconds(10), clock: .continuous)
            for host in hosts { #expect(host.isRunning) }
            try await Task.detached { try cluster.startServer() }.value
            let restarted = ContinuousClock.now

            for (number, host) in hosts.enumerated() {
                try await Self.waitUntil("host \(number) ready again", within: .seconds(60)) {
                    await Self.readiness(of: host)?.status == 200
                }
            }
            let readyAgain = ContinuousClock.now - restarted
            try await deliveries.value
            #expect(acknowledged.value == total)
            let seen = refusals.all
            #expect(!seen.isEmpty, "no delivery was refused during the outage")
            #expect(seen.allSatisfy { $0.status == 503 }, "refusals other than 503: \(seen.map(\.status))")
            let slowest = seen.map(\.took).max() ?? .zero
            #expect(slowest < .seconds(6), "the slowest refusal took \(slowest)")

            let answered = try await Self.answers(from: emulator, atLeast: total)
            #expect(answered.copies.count == total, "\(total - answered.copies.count) acknowledged messages were never answered")
            if answered.copies.count != total {
                let missing = (0..<senders).flatMap { sender in (0..<perSender).map { "s\(sender) m\($0)" } }.filter { answered.copies[$0] == nil }
                print("never answered: \(missing)")
                for host in hosts { print("host log:\n" + host.log) }
            }
            // One more message per sender: once it is answered, whatever came before it in its
            // conversation is finished, so a second reply would have come by then.
            for sender in 0..<senders {
                let last = InstagramFixtures.body(sender: "out\(sender)", mid: "out.\(sender).last", text: "s\(sender) m99",
                                                  timestamp: base + 1_000)
                try await Self.deliverLikeMeta(last, to: hosts, refusals: refusals)
            }
            let final = try await Self.answers(from: emulator, atLeast: total + senders)
            #expect(final.copies.count == total + senders)
            let twice = final.copies.filter { $0.value > 1 }
            #expect(twice.isEmpty, "answered more than once: \(twice.keys.sorted())")
            for sender in 0..<senders {
                #expect(final.order["out\(sender)"] == Array(0..<perSender) + [99], "sender \(sender) answered out of order or incompletely")
            }
            print("database outage: \(acknowledgedAtStop) acknowledged and \(answeredAtStop) answered when the server stopped; "
                  + "\(seen.count) deliveries refused, the slowest in \(slowest); ready again \(readyAgain) after the server restarted")
            for host in hosts {
                #expect(await host.terminate() == 0)
            }
        }

        @Test("a host frozen (SIGSTOP) while it answers is taken over once its leases lapse; woken (SIGCONT), it sends nothing for the messages it lost: every message answered, in order, twice only for a send in flight when it froze",
              .timeLimit(.minutes(4)))
        func frozenHostIsTakenOver() async throws {
            // Replies in several parts (at most 80 bytes each): a worker that went on after losing
            // its lease would send the parts after the one it froze in.
            let (emulator, hosts) = try await MultiHostTests.launchGroup(count: 2, leaseSeconds: 3, maxMessageBytes: 80)
            defer {
                emulator.terminateInBackground()
                for host in hosts {
                    host.signal(SIGCONT)
                    host.killInBackground()
                }
            }
            // Slow sends: when the host freezes, typing indicators and reply parts are in flight.
            try await Self.setSendDelay(milliseconds: 300, on: emulator)
            let senders = 6, early = 3
            let base = Int64(Date().timeIntervalSince1970 * 1000) - 60_000
            func body(_ sender: Int, _ index: Int) -> [UInt8] {
                InstagramFixtures.body(sender: "frz\(sender)", mid: "frz.\(sender).\(index)", text: "s\(sender) m\(index)",
                                       timestamp: base + Int64(index))
            }
            let frozen = hosts[0], other = hosts[1]
            for index in 0..<early {
                for sender in 0..<senders {
                    #expect(await MultiHostTests.deliver(body(sender, index), to: frozen) == 200)
                }
            }
            // Frozen while it answers: the first replies are out, the others owed.
            _ = try await DurabilityTests.sentTexts(emulator: emulator.baseURL, minimum: 2)
            frozen.signal(SIGSTOP)
            let frozeAt = ContinuousClock.now
            let answeredAtFreeze = Answers(try await Self.outbox(of: emulator)).copies.count
            #expect(answeredAtFreeze < senders * early, "every reply was out before the freeze: the test proves nothing")
            // Meanwhile the load balancer sends everything to the other host.
            for sender in 0..<senders {
                #expect(await MultiHostTests.deliver(body(sender, early), to: other) == 200)
            }
            let total = senders * (early + 1)
            let takenOver = try await Self.answers(from: emulator, atLeast: total)
            let takeover = ContinuousClock.now - frozeAt
            #expect(takenOver.copies.count == total, "\(total - takenOver.copies.count) messages were not taken over")
            #expect(frozen.isRunning)

            // One more message each through the other host, whose reply's first part is out before
            // the frozen host wakes: the replies before it are whole by then.
            for sender in 0..<senders {
                #expect(await MultiHostTests.deliver(body(sender, early + 1), to: other) == 200)
            }
            _ = try await Self.answers(from: emulator, atLeast: total + senders)
            frozen.signal(SIGCONT)
            // Two last messages per sender through the woken host: its conversation's work there goes
            // one message at a time, so by the time they are answered, the host has done whatever it
            // still meant to do for the earlier ones.
            for index in [99, 100] {
                for sender in 0..<senders {
                    let late = InstagramFixtures.body(sender: "frz\(sender)", mid: "frz.\(sender).\(index)", text: "s\(sender) m\(index)",
                                                      timestamp: base + Int64(index))
                    #expect(await MultiHostTests.deliver(late, to: frozen) == 200)
                }
            }
            let final = try await Self.answers(from: emulator, atLeast: total + 3 * senders)
            #expect(final.copies.count == total + 3 * senders)
            let sent = try await Self.outbox(of: emulator)
            var partCounts: Set<Int> = []
            for sender in 0..<senders {
                #expect(final.order["frz\(sender)"] == Array(0...early + 1) + [99, 100], "sender \(sender) answered out of order or incompletely")
                let texts = Self.partsPerRecipient(sent)["frz\(sender)"] ?? []
                func header(_ index: Int) -> Int? { texts.firstIndex { $0.hasPrefix("You said: s\(sender) m\(index)") } }
                guard let woke = header(early + 1), let last = header(99), let closing = header(100) else { continue }
                // The reply to m99 came from the woken host alone, after all else: its parts are a reply's.
                let parts = closing - last
                partCounts.insert(parts)
                // Before the header of the reply out before the host woke: the earlier replies; between
                // it and m99's: that reply's parts. Beyond those, at most one copy in all: the part in
                // flight when the host froze, which reaches the platform before that header or, when
                // the frozen process had not yet written it out, as the host wakes, after it. Nothing
                // else the woken host sent for the messages it had lost.
                let copiesBefore = woke - (early + 1) * parts
                let copiesAfter = last - woke - parts
                let surplus = "sender \(sender): \(copiesBefore) texts more than \(early + 1) replies of \(parts) parts before, "
                    + "\(copiesAfter) more than a reply after waking: \(texts[woke..<last])"
                #expect(copiesBefore >= 0 && copiesAfter >= 0 && copiesBefore + copiesAfter <= 1, "\(surplus)")
            }
            #expect(partCounts.count == 1 && (partCounts.first ?? 0) >= 2, "replies of \(partCounts) parts")
            print("frozen host: \(answeredAtFreeze) of \(senders * early) answered at the freeze; taken over and answered within \(takeover); "
                  + "\(sent.count) texts for \(total + 3 * senders) replies of \(partCounts) parts")
            for host in hosts {
                #expect(await host.terminate() == 0)
            }
        }

        /// Each recipient's texts, in the order the emulator received them.
        static func partsPerRecipient(_ sent: [(recipient: String, text: String)]) -> [String: [String]] {
            var parts: [String: [String]] = [:]
            for (recipient, text) in sent { parts[recipient, default: []].append(text) }
            return parts
        }

        // MARK: - Helpers

        /// The emulator's answers: copies of each ("s<sender> m<index>"), and each recipient's
        /// message indexes in the order of their first answer.
        struct Answers {
            var copies: [String: Int] = [:]
            var order: [String: [Int]] = [:]

            init(_ sent: [(recipient: String, text: String)]) {
                for (recipient, text) in sent {
                    guard let range = text.range(of: #"s\d+ m\d+"#, options: .regularExpression) else { continue }
                    let said = String(text[range])
                    copies[said, default: 0] += 1
                    if copies[said] == 1 { order[recipient, default: []].append(Int(said.split(separator: "m").last ?? "") ?? -1) }
                }
            }
        }

        /// The emulator's outbox now, in the order it received the sends.
        static func outbox(of emulator: ChildHost) async throws -> [(recipient: String, text: String)] {
            try await DurabilityTests.sentTexts(emulator: emulator.baseURL, minimum: 0)
        }

        /// Waits until at least `count` different messages are answered (or three minutes pass).
        static func answers(from emulator: ChildHost, atLeast count: Int) async throws -> Answers {
            var minimum = count
            while true {
                let sent = try await DurabilityTests.sentTexts(emulator: emulator.baseURL, minimum: minimum)
                let answers = Answers(sent)
                if answers.copies.count >= count || sent.count < minimum { return answers }
                minimum = sent.count + (count - answers.copies.count)
            }
        }

        /// Makes every Graph call of the emulator take `milliseconds`.
        static func setSendDelay(milliseconds: Int, on emulator: ChildHost) async throws {
            let faults = try await TestHTTP.request("POST", "\(emulator.baseURL)/sandbox/instagram/api/faults",
                                                    headers: ["Content-Type": "application/json"],
                                                    body: Array(#"{"delay_ms": \#(milliseconds)}"#.utf8))
            #expect(faults.status == 200)
        }

        /// Delivers `payload` as Meta does: to any of `hosts`, again after a pause until one answers
        /// 200; every refusal is kept in `refusals`.
        static func deliverLikeMeta(_ payload: [UInt8], to hosts: [ChildHost], refusals: Refusals) async throws {
            for _ in 0..<400 {
                let started = ContinuousClock.now
                let status = await MultiHostTests.deliver(payload, to: hosts.randomElement()!)
                if status == 200 { return }
                refusals.add(status: status, took: ContinuousClock.now - started)
                try await Task.sleep(for: .milliseconds(250))
            }
            throw TestFailure("a delivery was refused 400 times")
        }

        /// `/readyz`: its status, body, and the store's state in it.
        static func readiness(of host: ChildHost) async -> (status: Int, json: [String: Any], store: String?)? {
            guard let reply = try? await TestHTTP.get("\(host.baseURL)/readyz"),
                  let json = (try? reply.json()) as? [String: Any] else { return nil }
            return (reply.status, json, (json["store"] as? [String: Any])?["state"] as? String)
        }

        /// Polls `condition` until it holds, or fails after `limit`.
        static func waitUntil(_ what: String, within limit: Duration, _ condition: () async -> Bool) async throws {
            let deadline = ContinuousClock.now + limit
            while !(await condition()) {
                guard ContinuousClock.now < deadline else { throw TestFailure("timed out: \(what)") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}

/// Deliveries a host refused: the status (nil: no answer) and how long the answer took.
final class Refusals: Sendable {
    private let list = Mutex<[(status: Int?, took: Duration)]>([])
    func add(status: Int?, took: Duration) { list.withLock { $0.append((status, took)) } }
    var all: [(status: Int?, took: Duration)] { list.withLock { $0 } }
}
