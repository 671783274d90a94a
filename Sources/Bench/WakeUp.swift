import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

// MARK: - wakeup

/// The cross-host wake-up delay: two hosts on one PostgreSQL database, and a person whose next
/// message reaches the other host while the first host still answers their previous one.
///
/// Each conversation is one new sender with two messages: the first goes to one host, the
/// second goes, as soon as the first is acknowledged, either to the same host ("same") or to
/// the other one ("cross"); the two kinds alternate and use both hosts equally. The fake Graph
/// API answers every send after `graph-delay-ms`, so the first reply is still being sent when
/// the second message arrives. The measure is the gap between the two replies' arrivals at the
/// fake Graph API: on one host the second message is answered as soon as the first is done;
/// on the other host it waits for that host's next claim poll. The added delay of a cross
/// conversation is its gap minus the median gap of the same-host conversations.
struct WakeUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wakeup", abstract: "Reply-to-reply gap when a person's next message reaches another host.")

    @OptionGroup var webhook: WebhookOptions
    @Option var host: String = "127.0.0.1"
    @Option(help: "One host's port.") var portA: Int
    @Option(help: "The other host's port (same database).") var portB: Int
    @Option(help: "The fake Graph API's port (both hosts send there).") var graphPort: Int
    @Option(help: "How long the fake Graph API takes to answer a send (ms).") var graphDelayMs: Int = 50
    @Option(help: "Measured conversations of each kind (same host, other host).") var conversations: Int = 200
    @Option(help: "Unmeasured conversations of each kind first.") var warmup: Int = 10
    @Option(help: "A new conversation starts every this many ms.") var intervalMs: Int = 15
    @Option(help: "Seconds to wait for the last replies.") var drain: Double = 30
    @Option var path: String = "/api/channels/instagram"
    @Option var name: String = "wakeup"
    @Option var results: String?

    /// One conversation: which host gets each message, whether it is measured.
    private struct Plan: Sendable {
        var index: Int
        var crossHost: Bool
        var firstPort: Int
        var secondPort: Int
        var measured: Bool
    }

    /// What the driver saw of one conversation.
    private struct Sent: Sendable {
        var index: Int
        var accepted: Bool
    }

    /// Sender ids of this command's conversations start here (apart from the other commands').
    private static let firstSender = 800_000

    func run() async throws {
        let recorder = GraphRecorder(matchTokens: true)
        let graphGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await FakeGraph.start(host: host, port: graphPort, recorder: recorder,
                                               delay: .milliseconds(Int64(graphDelayMs)), group: graphGroup)
        defer {
            server.channel.close(promise: nil)
            graphGroup.shutdownGracefully { _ in }
        }

        let plans = makePlans()
        let client = Client(host: host, path: path, secret: webhook.secret, run: webhook.run)
        let interval = Duration.milliseconds(intervalMs)
        let start = ContinuousClock.now + .milliseconds(10)
        let sent = await withTaskGroup(of: Sent.self) { group in
            for plan in plans {
                group.addTask {
                    try? await Task.sleep(until: start + interval * plan.index, clock: .continuous)
                    return await client.converse(plan)
                }
            }
            var sent: [Sent] = []
            for await outcome in group { sent.append(outcome) }
            return sent
        }

        // Wait for both replies of every conversation whose two messages were accepted.
        let accepted = sent.filter(\.accepted).map(\.index)
        let drainDeadline = Date().addingTimeInterval(drain)
        while Date() < drainDeadline {
            let arrivals = recorder.arrivals
            if accepted.allSatisfy({ arrivals[2 * $0] != nil && arrivals[2 * $0 + 1] != nil }) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        report(plans: plans, accepted: Set(accepted), recorder: recorder)
    }

    /// Warm-up conversations first, then the measured ones; same-host and cross-host ones
    /// alternate, and each kind starts on host A and on host B equally often.
    private func makePlans() -> [Plan] {
        (0..<(2 * (warmup + conversations))).map { index in
            let crossHost = index % 2 == 1
            let firstOnA = (index / 2) % 2 == 0
            let first = firstOnA ? portA : portB
            let second = crossHost ? (firstOnA ? portB : portA) : first
            return Plan(index: index, crossHost: crossHost, firstPort: first, secondPort: second,
                        measured: index >= 2 * warmup)
        }
    }

    private func report(plans: [Plan], accepted: Set<Int>, recorder: GraphRecorder) {
        let arrivals = recorder.arrivals
        var same: [UInt64] = []
        var cross: [UInt64] = []
        var missing = 0
        var outOfOrder = 0
        var failed = 0
        for plan in plans where plan.measured {
            guard accepted.contains(plan.index) else {
                failed += 1
                continue
            }
            guard let first = arrivals[2 * plan.index], let second = arrivals[2 * plan.index + 1] else {
                missing += 1
                continue
            }
            guard second > first else {
                outOfOrder += 1
                continue
            }
            if plan.crossHost { cross.append(second - first) } else { same.append(second - first) }
        }
        let sameGaps = Percentiles(same)
        let crossGaps = Percentiles(cross)
        let baseline = sameGaps.value(50)
        let added = Percentiles(cross.map { $0 > baseline ? $0 - baseline : 0 })
        let counts = recorder.counts
        ResultsFile(path: results).write(name, [
            "conversations": String(conversations), "graph_delay_ms": String(graphDelayMs), "interval_ms": String(intervalMs),
            "same_measured": String(same.count), "cross_measured": String(cross.count),
            "same_p50_us": micros(sameGaps.value(50)), "same_p99_us": micros(sameGaps.value(99)), "same_max_us": micros(sameGaps.max),
            "cross_p50_us": micros(crossGaps.value(50)), "cross_p99_us": micros(crossGaps.value(99)), "cross_max_us": micros(crossGaps.max),
            "added_p50_us": micros(added.value(50)), "added_p99_us": micros(added.value(99)), "added_max_us": micros(added.max),
            "failed": String(failed), "missing": String(missing), "out_of_order": String(outOfOrder),
            "graph_messages": String(counts.messages), "graph_typing": String(counts.typing), "graph_unmatched": String(counts.unmatched),
        ])
    }

    /// Sends the conversations' webhooks (what the concurrent tasks need of the command).
    private struct Client: Sendable {
        var host: String
        var path: String
        var secret: String
        var run: String

        /// Sends the conversation's first message, then its second once the first is acknowledged.
        func converse(_ plan: Plan) async -> Sent {
            let sender = InstagramPayload.sender(WakeUp.firstSender + plan.index)
            let firstTimestamp = wallClockMs()
            let first = await post(port: plan.firstPort, sender: sender, sequence: 2 * plan.index, timestampMs: firstTimestamp)
            guard first else { return Sent(index: plan.index, accepted: false) }
            let second = await post(port: plan.secondPort, sender: sender, sequence: 2 * plan.index + 1,
                                    timestampMs: max(wallClockMs(), firstTimestamp + 1))
            return Sent(index: plan.index, accepted: second)
        }

        /// Posts one signed webhook; whether it was acknowledged with 200.
        private func post(port: Int, sender: String, sequence: Int, timestampMs: Int64) async -> Bool {
            let body = InstagramPayload.body(sender: sender, mid: InstagramPayload.mid(run: run, sequence: sequence),
                                             text: InstagramPayload.text(token: sequence), timestampMs: timestampMs)
            var request = HTTPClientRequest(url: "http://\(host):\(port)\(path)")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "X-Hub-Signature-256", value: InstagramPayload.signature(body, secret: secret))
            request.body = .bytes(ByteBuffer(bytes: body))
            guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(10)) else { return false }
            _ = try? await response.body.collect(upTo: 1 << 16)
            return response.status == .ok
        }
    }
}
