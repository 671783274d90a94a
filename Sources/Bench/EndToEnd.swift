import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// Runs the fake Graph Send API and sends signed webhooks at a fixed rate to one host or
/// several (`--port` repeated: a sender's messages always to the same host); each reply's
/// arrival at the fake Graph API is matched to its webhook by the token in the text.
struct EndToEnd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "e2e", abstract: "Webhook-to-reply latency at a fixed rate.")

    @OptionGroup var webhook: WebhookOptions
    @Option var host: String = "127.0.0.1"
    @Option(name: .customLong("port"), help: "A host's port; repeat for several hosts (sender s goes to host s mod hosts).")
    var ports: [Int]
    @Option var graphPort: Int
    @Option var path: String = "/api/channels/instagram"
    @Option(help: "Messages per second.") var rate: Double = 1000
    @Option(help: "Measured seconds.") var duration: Double = 10
    @Option(help: "Unmeasured seconds before.") var warmup: Double = 1
    @Option(help: "Seconds to wait for the last replies.") var drain: Double = 30
    @Option var connections: Int = 32
    @Option var name: String = "e2e"
    @Option var results: String?

    func run() async throws {
        let recorder = GraphRecorder(matchTokens: true)
        let graphGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await FakeGraph.start(host: host, port: graphPort, recorder: recorder, group: graphGroup)
        defer {
            server.channel.close(promise: nil)
            graphGroup.shutdownGracefully { _ in }
        }
        let run = EndToEndRun(host: host, ports: ports, path: path, webhook: webhook, rate: rate, duration: duration,
                              warmup: warmup, drain: drain, connections: connections)
        let outcome = try await run.run(recorder: recorder)
        let counts = recorder.counts
        ResultsFile(path: results).write(name, [
            "rate": String(Int(rate)), "duration_s": String(duration), "senders": String(webhook.senders),
            "hosts": String(ports.count), "sent": String(outcome.sent), "acked": String(outcome.acked),
            "replied": String(outcome.replied), "completed_rps": String(format: "%.0f", outcome.completedRate),
            "p50_us": micros(outcome.replies.value(50)), "p90_us": micros(outcome.replies.value(90)),
            "p99_us": micros(outcome.replies.value(99)), "max_us": micros(outcome.replies.max),
            "ack_p50_us": micros(outcome.acks.value(50)), "ack_p99_us": micros(outcome.acks.value(99)),
            "graph_messages": String(counts.messages), "graph_typing": String(counts.typing), "graph_unmatched": String(counts.unmatched),
        ])
    }
}
