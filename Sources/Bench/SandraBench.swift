import ArgumentParser

/// `SandraBench`: the load generators, the fake Graph Send API, the fsync probe and the
/// report behind `make bench` (driven by `bench/run.sh`).
@main
struct SandraBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "SandraBench",
        abstract: "Benchmarks for the Sandra channel host (run through `make bench`).",
        subcommands: [
            WrkBodies.self, FreePorts.self, WaitReady.self, Probe.self, Graph.self, OpenLoop.self,
            EndToEnd.self, WakeUp.self, Capacity.self, FsyncProbe.self, JSONBench.self, RenderBench.self, Report.self,
        ])
}

/// Options shared by the commands that send signed webhooks.
struct WebhookOptions: ParsableArguments {
    @Option(help: "The app secret the host checks signatures with.")
    var secret: String = "bench-app-secret"

    @Option(help: "Distinct senders; messages go to them round robin.")
    var senders: Int = 1000

    @Option(help: "A run id that makes message ids unique across runs (random by default).")
    var run: String = makeRunID()
}
