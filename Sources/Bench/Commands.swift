import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

// MARK: - wrk-bodies

/// Writes the signed bodies the wrk Lua script cycles through: one file per wrk thread,
/// `<signature>\t<body>` per line, every message id distinct.
struct WrkBodies: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wrk-bodies", abstract: "Pre-generate signed webhook bodies for wrk.")

    @OptionGroup var webhook: WebhookOptions

    @Option(help: "File prefix; thread t reads <prefix>.<t>.")
    var out: String

    @Option(help: "wrk threads (one file each).")
    var threads: Int = 1

    @Option(help: "Bodies in all (split between the threads).")
    var count: Int

    func run() throws {
        let timestamp = wallClockMs()
        var totalBytes = 0
        for thread in 0..<threads {
            var text = ""
            text.reserveCapacity(count / threads * 460)
            var sequence = thread
            while sequence < count {
                let body = InstagramPayload.body(
                    sender: InstagramPayload.sender(sequence % webhook.senders),
                    mid: InstagramPayload.mid(run: webhook.run, sequence: sequence),
                    text: InstagramPayload.text(token: sequence),
                    timestampMs: timestamp + Int64(sequence / webhook.senders))
                totalBytes += body.count
                text += InstagramPayload.signature(body, secret: webhook.secret)
                text += "\t"
                text += String(decoding: body, as: UTF8.self)
                text += "\n"
                sequence += threads
            }
            try text.write(toFile: "\(out).\(thread)", atomically: false, encoding: .utf8)
        }
        print("body_bytes=\(count > 0 ? totalBytes / count : 0)")
    }
}

// MARK: - free-ports

/// Prints free loopback TCP ports (bound to port 0, then released).
struct FreePorts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "free-ports", abstract: "Print free loopback ports.")

    @Option var count: Int = 1

    func run() async throws {
        var channels: [any Channel] = []
        for _ in 0..<count {
            channels.append(try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: "127.0.0.1", port: 0).get())
        }
        print(channels.compactMap { $0.localAddress?.port.map(String.init) }.joined(separator: " "))
        for channel in channels { try? await channel.close() }
    }
}

// MARK: - wait-ready

/// Polls a URL until it answers 200.
struct WaitReady: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wait-ready", abstract: "Wait until a URL answers 200.")

    @Option var url: String
    @Option(help: "Seconds.") var timeout: Double = 60

    func run() async throws {
        let deadline = Date().addingTimeInterval(timeout)
        let client = HTTPClient.shared
        while Date() < deadline {
            if let response = try? await client.execute(HTTPClientRequest(url: url), timeout: .seconds(2)),
               response.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ValidationError("\(url) did not answer 200 within \(Int(timeout)) s")
    }
}

// MARK: - probe

/// Checks before a run that the bare route and the webhook route both answer 200 to one
/// request (so a misconfigured host fails loudly instead of benchmarking 404s or 403s).
struct Probe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "probe", abstract: "Check that /bench/ack and the webhook answer 200.")

    @OptionGroup var webhook: WebhookOptions
    @Option var base: String
    @Option var path: String = "/api/channels/instagram"
    @Flag(help: "Probe the bare route only (no reply is triggered).") var bareOnly = false

    func run() async throws {
        let client = HTTPClient.shared
        let body = InstagramPayload.body(sender: InstagramPayload.sender(999_999), mid: InstagramPayload.mid(run: webhook.run + "probe", sequence: 0),
                                         text: "probe", timestampMs: wallClockMs())
        for target in bareOnly ? ["/bench/ack"] : ["/bench/ack", path] {
            var request = HTTPClientRequest(url: base + target)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "X-Hub-Signature-256", value: InstagramPayload.signature(body, secret: webhook.secret))
            request.body = .bytes(ByteBuffer(bytes: body))
            let response = try await client.execute(request, timeout: .seconds(10))
            guard response.status == .ok else {
                throw ValidationError("POST \(target) answered \(response.status.code), expected 200 (is server.benchmark_routes on and the secret right?)")
            }
        }
    }
}

// MARK: - graph

/// Runs the fake Graph Send API until SIGTERM or SIGINT (for the ingestion runs, whose
/// replies must go somewhere that answers at once).
struct Graph: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "graph", abstract: "Run the fake Graph Send API.")

    @Option var host: String = "127.0.0.1"
    @Option var port: Int
    @Flag(help: "Never answer (holds the host's replies back).") var stall = false

    func run() async throws {
        let recorder = GraphRecorder(matchTokens: false)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await FakeGraph.start(host: host, port: port, recorder: recorder, stall: stall, group: group)
        await Self.waitForTermination()
        try? await server.channel.close()
        try await group.shutdownGracefully()
        let counts = recorder.counts
        FileHandle.standardError.write(Data("fake graph: \(counts.messages) messages, \(counts.typing) typing indicators\n".utf8))
    }

    /// Returns at the first SIGTERM or SIGINT.
    private static func waitForTermination() async {
        let (signals, arrived) = AsyncStream.makeStream(of: Int32.self)
        var sources: [any DispatchSourceSignal] = []
        for signal in [SIGTERM, SIGINT] {
            Foundation.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler { arrived.yield(signal) }
            source.resume()
            sources.append(source)
        }
        for await _ in signals { break }
        for source in sources { source.cancel() }
    }
}

// MARK: - open-loop

/// Sends signed webhooks at a fixed rate (open loop) and reports acknowledgement latency
/// measured from each request's scheduled send time.
struct OpenLoop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "open-loop", abstract: "Fixed-rate webhook load; acknowledgement latency.")

    @OptionGroup var webhook: WebhookOptions
    @Option var host: String = "127.0.0.1"
    @Option var port: Int
    @Option var path: String = "/api/channels/instagram"
    @Option(help: "Requests per second.") var rate: Double = 5000
    @Option(help: "Measured seconds.") var duration: Double = 10
    @Option(help: "Unmeasured seconds before.") var warmup: Double = 2
    @Option(help: "Connections opened before the run.") var connections: Int = 64
    @Option(help: "Most connections open at once.") var maxConnections: Int = 1024
    @Option(help: "Name of the result in the results file.") var name: String = "openloop"
    @Option(help: "Results file (key=value lines).") var results: String?
    @Option(help: "The fake Graph API's count URL (`SandraBench graph`'s \(FakeGraph.countsPath)): also measure the replies still owed when the burst ends and how long they take.")
    var graphCounts: String?
    @Option(help: "Seconds to wait for the replies owed after the burst.") var drain: Double = 60

    func run() async throws {
        var repliesBefore: Int?
        if let graphCounts { repliesBefore = try await Self.count(graphCounts) }
        let warmupCount = Int(rate * warmup)
        let total = warmupCount + Int(rate * duration)
        let base = wallClockMs()
        var requests: [PreparedRequest] = []
        requests.reserveCapacity(total)
        for index in 0..<total {
            let body = InstagramPayload.body(
                sender: InstagramPayload.sender(index % webhook.senders),
                mid: InstagramPayload.mid(run: webhook.run, sequence: index),
                text: InstagramPayload.text(token: index),
                timestampMs: base + Int64(Double(index) * 1000 / rate))
            requests.append(.webhook(host: host, port: port, path: path, body: body,
                                     signature: InstagramPayload.signature(body, secret: webhook.secret)))
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let driver = OpenLoopDriver(loop: group.next(), host: host, port: port, requests: requests,
                                    ratePerSecond: rate, maxConnections: maxConnections)
        try await driver.preconnect(connections)
        let outcomes = try await driver.run(timeout: .seconds(30))
        let backlog = try await replyBacklog(since: repliesBefore, owed: outcomes.filter { $0.status == 200 }.count)
        await driver.closeAll()
        try await group.shutdownGracefully()

        let measured = outcomes[warmupCount...]
        let ok = measured.filter { $0.status == 200 }
        let failed = measured.count - ok.count
        let percentiles = Percentiles(ok.map(\.latency))
        let lateness = Percentiles(measured.map(\.lateness))
        let lastFinish = measured.map(\.finished).max() ?? 0
        let firstDue = measured.first?.scheduled ?? 0
        let achieved = lastFinish > firstDue ? Double(ok.count) / (Double(lastFinish - firstDue) / 1e9) : 0
        ResultsFile(path: results).write(name, [
            "rate": String(Int(rate)), "duration_s": String(duration), "requests": String(measured.count),
            "ok": String(ok.count), "failed": String(failed), "achieved_rps": String(format: "%.0f", achieved),
            "p50_us": micros(percentiles.value(50)), "p90_us": micros(percentiles.value(90)),
            "p99_us": micros(percentiles.value(99)), "p999_us": micros(percentiles.value(99.9)),
            "max_us": micros(percentiles.max), "peak_connections": String(driver.peakConnections),
            "send_late_p50_us": micros(lateness.value(50)), "send_late_p99_us": micros(lateness.value(99)),
            "connection_errors": String(driver.connectionErrors), "body_bytes": String(requests.first.map { $0.body.readableBytes } ?? 0),
        ])
        if let backlog {
            ResultsFile(path: results).write(name, [
                "backlog_at_end": String(backlog.atEnd), "backlog_drain_ms": String(format: "%.0f", backlog.drainNanos / 1e6),
                "backlog_left": String(backlog.left),
            ])
        }
    }

    /// The replies owed when the burst ended (every webhook acknowledged; warm-up included),
    /// and how long the host then took to send them all (to `drain` seconds at most; `left`:
    /// still owed then).
    private func replyBacklog(since before: Int?, owed: Int) async throws -> (atEnd: Int, drainNanos: Double, left: Int)? {
        guard let before, let graphCounts else { return nil }
        let end = monotonicNanos()
        let atEnd = max(0, owed - (try await Self.count(graphCounts) - before))
        var left = atEnd
        var lastSeen = end
        while left > 0, monotonicNanos() < end + UInt64(drain * 1e9) {
            try await Task.sleep(for: .milliseconds(10))
            let now = max(0, owed - (try await Self.count(graphCounts) - before))
            if now < left { lastSeen = monotonicNanos() }
            left = now
        }
        return (atEnd, Double(lastSeen - end), left)
    }

    /// The fake Graph API's count of messages sent.
    private static func count(_ url: String) async throws -> Int {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 64)
        guard let value = Int(String(buffer: body)) else { throw BenchJSONError(description: "\(url) did not answer a count") }
        return value
    }
}

// MARK: - fsync

/// Measures the latency of a durable 4 KiB write on the storage's file system: appending
/// (file grows, as a fresh WAL does) and overwriting (as a reused WAL does), each followed by
/// `fdatasync`, the call SQLite makes on every commit with `synchronous=FULL`.
struct FsyncProbe: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fsync", abstract: "Measure write+fdatasync latency in a directory.")

    @Option var dir: String
    @Option var count: Int = 300
    @Option var name: String = "fsync"
    @Option var results: String?

    func run() throws {
        let path = dir + "/fsync-probe.\(getpid())"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw ValidationError("cannot create \(path)") }
        defer { close(fd); unlink(path) }
        let block = [UInt8](repeating: 0x5A, count: 4096)
        var append: [UInt64] = []
        for _ in 0..<count {
            let start = monotonicNanos()
            _ = block.withUnsafeBytes { write(fd, $0.baseAddress, 4096) }
            fdatasync(fd)
            append.append(monotonicNanos() - start)
        }
        var overwrite: [UInt64] = []
        for index in 0..<count {
            let start = monotonicNanos()
            _ = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, 4096, off_t((index % 16) * 4096)) }
            fdatasync(fd)
            overwrite.append(monotonicNanos() - start)
        }
        let a = Percentiles(append)
        let o = Percentiles(overwrite)
        ResultsFile(path: results).write(name, [
            "append_p50_us": micros(a.value(50)), "append_p99_us": micros(a.value(99)),
            "append_mean_us": String(format: "%.1f", a.mean / 1000),
            "overwrite_p50_us": micros(o.value(50)), "overwrite_p99_us": micros(o.value(99)),
            "overwrite_mean_us": String(format: "%.1f", o.mean / 1000), "count": String(count),
        ])
    }
}
