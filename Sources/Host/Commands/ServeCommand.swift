import ArgumentParser
import ChannelIdentity
import ChannelKit
import ChannelPipeline
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals

/// `sandra serve`: runs the host until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the host.")

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical (default: $LOG_LEVEL, else info).")
    var logLevel: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let level = Logger.Level(rawValue: (logLevel ?? environment["LOG_LEVEL"] ?? "info").lowercased()) ?? .info
        LoggingSystem.bootstrap { label in
            HostLogHandler.standardOutput(label: label, level: level)
        }
        let logger = Logger(label: "sandra")

        let configuration = try ConfigurationSource.loadOrExit(options: options, environment: environment)

        let prometheus = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(DescribedMetricsFactory(registry: prometheus))
        let runtime: HostRuntime
        let tracing: HostTracing?
        do {
            tracing = try HostTracing.bootstrap(configuration.tracing, logger: logger)
            runtime = try await HostRuntime.build(configuration: configuration, registry: .builtin, logger: logger, prometheus: prometheus,
                                                  tracing: tracing?.tracing ?? .off)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(78)
        }
        for mounted in runtime.supervisor.all {
            let name = mounted.configuration.name
            logger.info("channel configured", metadata: [
                "channel": "\(name)", "type": "\(mounted.configuration.type)",
                "webhook": "\(ChannelContext.webhookPath(for: name))", "mode": "\(mounted.mode.rawValue)",
            ])
        }
        for name in runtime.supervisor.offNames {
            logger.notice("channel off: no access token on a host with a live channel; set sandbox: true to use its sandbox",
                          metadata: ["channel": "\(name)"])
        }
        let group = runtime.makeServiceGroup(signals: [.sigterm, .sigint], first: tracing.map { [$0.exporter] } ?? [])
        let announce = Task {
            guard let port = await runtime.status.waitUntilServing() else { return }
            let base = HostRuntime.localBaseURL(host: configuration.server.host, port: port)
            var lines = ["Sandra is listening on \(base)"]
            var modes = Dictionary(uniqueKeysWithValues: runtime.supervisor.all.map { ($0.configuration.name, $0.mode) })
            for name in runtime.supervisor.offNames { modes[name] = .off }
            var effective = configuration
            effective.channels = configuration.channels.map { runtime.supervisor.channel(named: $0.name)?.configuration ?? $0 }
            lines += CheckConfigCommand.summary(of: effective, modes: modes).map { "  \($0)" }
            for mounted in runtime.supervisor.all {
                let name = mounted.configuration.name
                lines.append("  \(name): webhook \(base)\(ChannelContext.webhookPath(for: name))")
                if mounted.sandboxMode {
                    lines.append("  \(name): sandbox \(base)\(ChannelContext.sandboxPath(for: name))/  (open it in a browser)")
                }
            }
            lines.append(configuration.admin.portalEnabled
                ? "  admin portal: \(base)/admin"
                : "  admin portal: off (set SANDRA_ADMIN_PASSWORD, at least 12 characters, to turn it on)")
            if runtime.identityLinking != nil {
                lines.append(configuration.identity.email.usesSMTP
                    ? "  identity linking: codes are emailed through \(runtime.mailer.summary)"
                    : "  identity linking: DEVELOPMENT MAILER - codes are written to this log, not emailed (set identity.email.smtp_url)")
            }
            print(lines.joined(separator: "\n"))
            FileHandle.standardOutput.write(Data())
            fflush(nil)
        }
        defer { announce.cancel() }
        try await group.run()
    }
}
