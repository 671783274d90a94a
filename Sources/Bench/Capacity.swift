import ArgumentParser
import Foundation

/// `SandraBench capacity`: the highest sustained rate of answered messages at which the
/// end-to-end p99 stays under a bound, found by search against hosts already running.
///
/// Each step is a short open-loop end-to-end run (``EndToEndRun``) at one rate; it passes when
/// every measured message is answered within the drain window and the p99 is under
/// `--p99-ms`. Rates step up by `--factor` from `--start` until a step fails, then the interval
/// between the last pass and the first fail is bisected until it is within `--precision` or
/// the time budget is spent. After a failed step the search waits (up to `--settle` seconds)
/// for the host to answer what it still owes, so that the next step starts from an empty
/// backlog. One fake Graph API serves every step; tokens and message ids never repeat.
struct Capacity: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capacity", abstract: "Search the highest answered msg/s with end-to-end p99 under a bound.")

    @OptionGroup var webhook: WebhookOptions
    @OptionGroup var targets: EndToEndTargets
    @Option(help: "The first rate tried (msg/s).") var start: Double = 200
    @Option(help: "Each step up multiplies the rate by this.") var factor: Double = 1.6
    @Option(help: "The highest rate tried (msg/s).") var maxRate: Double = 20_000
    @Option(help: "Measured seconds per step.") var stepSeconds: Double = 3
    @Option(help: "Unmeasured seconds before each step.") var warmup: Double = 0.5
    @Option(help: "Seconds a step waits for its last replies.") var drain: Double = 3
    @Option(help: "Seconds to wait for the backlog after a failed step.") var settle: Double = 20
    @Option(help: "The p99 bound (ms).") var p99Ms: Double = 100
    @Option(help: "Stop bisecting when fail / pass is below 1 + this.") var precision: Double = 0.08
    @Option(help: "Seconds the whole search may take.") var budget: Double = 180
    @Option var name: String = "capacity"
    @Option var results: String?

    func run() async throws {
        let recorder = GraphRecorder(matchTokens: true)
        try await FakeGraph.serving(host: targets.host, port: targets.graphPort, recorder: recorder) {
            try await search(recorder: recorder)
        }
    }

    /// The steps, each printed, then the result written.
    private func search(recorder: GraphRecorder) async throws {
        let began = monotonicNanos()
        func elapsed() -> Double { Double(monotonicNanos() - began) / 1e9 }
        var pass: (rate: Double, outcome: EndToEndRun.Outcome)?
        var fail: Double?
        var rate = start
        var owed = 0
        var steps: [String] = []
        var tokenBase = 0
        // A step takes its warm-up, its measured seconds and at most its drain.
        while elapsed() + warmup + stepSeconds + drain <= budget, rate >= 1 {
            let step = EndToEndRun(targets: targets, webhook: webhook, rate: rate, duration: stepSeconds, warmup: warmup,
                                   drain: drain, tokenBase: tokenBase)
            let outcome = try await step.run(recorder: recorder)
            tokenBase += Int(rate * (warmup + stepSeconds)) + 1
            owed += outcome.acceptedTotal
            let passed = outcome.passes(p99Nanos: UInt64(p99Ms * 1e6))
            let line = "\(Int(rate)) msg/s: \(outcome.replied)/\(outcome.sent) answered, "
                + String(format: "p99 %.1f ms, answered %.0f msg/s", Double(outcome.replies.value(99)) / 1e6, outcome.completedRate)
                + " → \(passed ? "pass" : "fail")"
            print("\(name) step \(steps.count + 1) at \(Int(elapsed())) s: \(line)")
            steps.append(line)
            if passed {
                if (pass?.rate ?? 0) < rate { pass = (rate, outcome) }
            } else {
                fail = min(fail ?? rate, rate)
                // Let the host answer what it still owes before the next step.
                let deadline = min(monotonicNanos() + UInt64(settle * 1e9), began + UInt64(budget * 1e9))
                while monotonicNanos() < deadline, recorder.counts.messages < owed {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            guard let next = nextRate(pass: pass?.rate, fail: fail) else { break }
            rate = next
        }
        let best = pass?.outcome
        ResultsFile(path: results).write(name, [
            "hosts": String(targets.ports.count), "senders": String(webhook.senders), "p99_bound_ms": String(Int(p99Ms)),
            "max_rps": String(Int(pass?.rate ?? 0)), "first_fail_rps": String(Int(fail ?? 0)),
            "limited_by_max_rate": String(fail == nil), "best_p99_us": micros(best?.replies.value(99) ?? 0),
            "best_p50_us": micros(best?.replies.value(50) ?? 0), "best_completed_rps": String(format: "%.0f", best?.completedRate ?? 0),
            "answered_total": String(recorder.counts.messages), "seconds": String(Int(elapsed())), "step_seconds": String(stepSeconds),
            "steps": steps.joined(separator: "; "),
        ])
    }

    /// The next rate to try, or `nil` when the search is done.
    private func nextRate(pass: Double?, fail: Double?) -> Double? {
        switch (pass, fail) {
        case (let pass?, nil):
            return pass >= maxRate ? nil : min(pass * factor, maxRate)
        case (nil, let fail?):
            // Even the first rate failed: step down.
            return fail / factor >= 1 ? fail / factor : nil
        case (let pass?, let fail?):
            return fail / pass <= 1 + precision ? nil : ((pass + fail) / 2).rounded()
        case (nil, nil):
            return start
        }
    }
}
