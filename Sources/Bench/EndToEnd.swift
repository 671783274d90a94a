import ArgumentParser
import Foundation

/// Runs the fake Graph Send API and sends signed webhooks at a fixed rate to one host or
/// several (`--port` repeated: a sender's messages always to the same host); each reply's
/// arrival at the fake Graph API is matched to its webhook by the token in the text.
struct EndToEnd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "e2e", abstract: "Webhook-to-reply latency at a fixed rate.")

    @OptionGroup var webhook: WebhookOptions
    @OptionGroup var targets: EndToEndTargets
    @Option(help: "Messages per second.") var rate: Double = 1000
    @Option(help: "Measured seconds.") var duration: Double = 10
    @Option(help: "Unmeasured seconds before.") var warmup: Double = 1
    @Option(help: "Seconds to wait for the last replies.") var drain: Double = 30
    @Option var name: String = "e2e"
    @Option var results: String?

    func run() async throws {
        let recorder = GraphRecorder(matchTokens: true)
        let run = EndToEndRun(targets: targets, webhook: webhook, rate: rate, duration: duration, warmup: warmup, drain: drain)
        let outcome = try await FakeGraph.serving(host: targets.host, port: targets.graphPort, recorder: recorder) {
            try await run.run(recorder: recorder)
        }
        let counts = recorder.counts
        ResultsFile(path: results).write(name, [
            "rate": String(Int(rate)), "duration_s": String(duration), "senders": String(webhook.senders),
            "hosts": String(targets.ports.count), "sent": String(outcome.sent), "acked": String(outcome.acked),
            "replied": String(outcome.replied), "completed_rps": String(format: "%.0f", outcome.completedRate),
            "p50_us": micros(outcome.replies.value(50)), "p90_us": micros(outcome.replies.value(90)),
            "p99_us": micros(outcome.replies.value(99)), "max_us": micros(outcome.replies.max),
            "ack_p50_us": micros(outcome.acks.value(50)), "ack_p99_us": micros(outcome.acks.value(99)),
            "graph_messages": String(counts.messages), "graph_typing": String(counts.typing), "graph_unmatched": String(counts.unmatched),
        ])
    }
}
