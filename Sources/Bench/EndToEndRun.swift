import ArgumentParser
import NIOCore
import NIOPosix

/// One open-loop end-to-end run: signed webhooks at a fixed rate to one or more hosts, each
/// reply's arrival at the fake Graph API matched to its webhook by the token in its text.
///
/// With several hosts, a sender's messages always go to the same host: sender `s` (messages
/// go to the senders round robin) to host `s mod hosts` — so the senders must be a multiple of
/// the hosts, and consecutive messages alternate between the hosts. Each host has its own
/// connections and its own share of the schedule, interleaved on one clock.
struct EndToEndRun {
    var targets: EndToEndTargets
    var webhook: WebhookOptions
    var rate: Double
    var duration: Double
    var warmup: Double
    var drain: Double
    /// The first message's token and sequence number: runs that share a fake Graph API (the
    /// steps of a capacity search) keep their tokens and message ids apart with it.
    var tokenBase = 0

    /// What one run saw.
    struct Outcome {
        /// Measured messages (the warm-up's excluded).
        var sent = 0
        var acked = 0
        var replied = 0
        /// Replies over the time from the first measured message's due time to the last reply.
        var completedRate = 0.0
        var replies = Percentiles([])
        var acks = Percentiles([])
        /// Webhooks accepted, warm-up included: the replies the host owes.
        var acceptedTotal = 0

        /// Every measured message answered, and its p99 under `p99Nanos`.
        func passes(p99Nanos: UInt64) -> Bool {
            sent > 0 && acked == sent && replied == sent && replies.value(99) < p99Nanos
        }
    }

    /// The host a message goes to.
    func portIndex(ofMessage index: Int) -> Int {
        (index % webhook.senders) % targets.ports.count
    }

    /// Sends the run's webhooks, waits up to `drain` seconds for the replies, and measures.
    func run(recorder: GraphRecorder) async throws -> Outcome {
        let (host, ports, path) = (targets.host, targets.ports, targets.path)
        guard !ports.isEmpty, webhook.senders % ports.count == 0 else {
            throw BenchJSONError(description: "\(webhook.senders) senders cannot be spread evenly over \(ports.count) hosts")
        }
        let warmupCount = Int((rate * warmup).rounded())
        let total = warmupCount + Int((rate * duration).rounded())
        guard total >= ports.count, warmupCount < total else {
            throw BenchJSONError(description: "\(total) messages at \(rate) msg/s: too few for \(ports.count) hosts and a measured span")
        }
        let base = wallClockMs()
        var requests: [[PreparedRequest]] = Array(repeating: [], count: ports.count)
        for index in 0..<total {
            let sequence = tokenBase + index
            let body = InstagramPayload.body(
                sender: InstagramPayload.sender(index % webhook.senders),
                mid: InstagramPayload.mid(run: webhook.run, sequence: sequence),
                text: InstagramPayload.text(token: sequence),
                timestampMs: base + Int64(Double(index) * 1000 / rate))
            let port = ports[portIndex(ofMessage: index)]
            requests[portIndex(ofMessage: index)].append(.webhook(host: host, port: port, path: path, body: body,
                                                                  signature: InstagramPayload.signature(body, secret: webhook.secret)))
        }
        let repliesBefore = recorder.arrivalCount
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let hosts = ports.count
        let drivers = ports.indices.map { index in
            OpenLoopDriver(loop: group.next(), host: host, port: ports[index], requests: requests[index],
                           ratePerSecond: rate / Double(hosts), maxConnections: 1024)
        }
        for driver in drivers { try await driver.preconnect(max(1, targets.connections / hosts)) }
        // Host k's messages are due 1/rate after host k-1's: one schedule, interleaved.
        let start = monotonicNanos() + 5_000_000
        let interval = 1e9 / rate
        let perHost = try await withThrowingTaskGroup(of: (Int, [RequestOutcome]).self) { tasks in
            for (index, driver) in drivers.enumerated() {
                tasks.addTask {
                    let outcomes = try await driver.run(timeout: .seconds(30), startingAt: start + UInt64(Double(index) * interval))
                    return (index, outcomes)
                }
            }
            var all = Array(repeating: [RequestOutcome](), count: hosts)
            for try await (index, outcomes) in tasks { all[index] = outcomes }
            return all
        }
        for driver in drivers { await driver.closeAll() }
        try await group.shutdownGracefully()
        // Message i went to host i mod hosts, as its (i / hosts)-th request.
        let outcomes = (0..<total).map { perHost[$0 % hosts][$0 / hosts] }

        // Wait for the replies of every accepted message, up to `drain` seconds.
        let accepted = outcomes.filter { $0.status == 200 }.count
        let drainDeadline = monotonicNanos() + UInt64(drain * 1e9)
        while monotonicNanos() < drainDeadline, recorder.arrivalCount - repliesBefore < accepted {
            try await Task.sleep(for: .milliseconds(20))
        }
        let arrivals = recorder.arrivals(tokens: tokenBase..<(tokenBase + total))

        var outcome = Outcome()
        var latencies: [UInt64] = []
        var lastArrival: UInt64 = 0
        for index in warmupCount..<total {
            guard let arrival = arrivals[tokenBase + index] else { continue }
            latencies.append(arrival > outcomes[index].scheduled ? arrival - outcomes[index].scheduled : 0)
            lastArrival = max(lastArrival, arrival)
        }
        let measured = outcomes[warmupCount...]
        let firstDue = measured.first?.scheduled ?? 0
        outcome.sent = measured.count
        outcome.acked = measured.filter { $0.status == 200 }.count
        outcome.replied = latencies.count
        outcome.completedRate = lastArrival > firstDue ? Double(latencies.count) / (Double(lastArrival - firstDue) / 1e9) : 0
        outcome.replies = Percentiles(latencies)
        outcome.acks = Percentiles(measured.filter { $0.status == 200 }.map(\.latency))
        outcome.acceptedTotal = accepted
        return outcome
    }
}

/// Where the end-to-end commands send: the hosts' ports, and the fake Graph API's they reply to.
struct EndToEndTargets: ParsableArguments {
    @Option var host: String = "127.0.0.1"
    @Option(name: .customLong("port"), help: "A host's port; repeat for several hosts (sender s goes to host s mod hosts).")
    var ports: [Int]
    @Option(help: "The fake Graph API's port (run by this command; every host replies there).") var graphPort: Int
    @Option var path: String = "/api/channels/instagram"
    @Option(help: "Connections opened before a run (shared between the hosts).") var connections: Int = 32
}
