import ArgumentParser
import ChannelKit
import Foundation
import MetaPlatform

/// `sandra check-config`: validates the configuration and prints it with secrets masked, then
/// each channel's mode, the assistant and the mailer; exits 78 when the host would refuse to
/// start (``HostSafety``). Values saved in the admin portal are not read.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate channels.yaml; print the effective configuration with secrets masked.")

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let configuration = try ConfigurationSource.loadOrExit(options: options, environment: environment)
        print("# \(configuration.sourceFile): OK")
        print(ConfigurationLoader(registry: .builtin, environment: environment).renderEffective(configuration), terminator: "")
        let modes = HostSafety.modes(of: configuration.channels)
        for line in Self.summary(of: configuration, modes: modes) { print("# \(line)") }
        let problems = HostSafety.problems(of: configuration, modes: modes)
        for problem in problems {
            FileHandle.standardError.write(Data("\(configuration.sourceFile): unsafe: \(problem)\n".utf8))
        }
        if !problems.isEmpty { throw ExitCode(78) }
    }

    /// One line per enabled channel (mode, webhook, sandbox, assistant, Graph API version),
    /// then the mailer: what the start-up banner and `check-config` print.
    static func summary(of configuration: HostConfiguration, modes: [String: ChannelMode]) -> [String] {
        var lines: [String] = []
        for channel in configuration.channels where channel.enabled {
            let mode = modes[channel.name] ?? .off
            var line = "\(channel.name): \(mode.rawValue)"
            switch mode {
            case .off:
                line += " (no access token; not served)"
            case .live, .sandbox:
                line += ", webhook \(ChannelContext.webhookPath(for: channel.name))"
                if mode == .sandbox { line += ", sandbox \(ChannelContext.sandboxPath(for: channel.name))/" }
                line += ", assistant \(HostSafety.assistantSummary(configuration.assistant))"
                let version = channel.settings.string("api_version")
                if mode == .live, !version.isEmpty { line += ", Graph API \(GraphAPIVersions.summary(of: version))" }
            }
            lines.append(line)
        }
        lines.append("mailer: \(HostSafety.mailerSummary(configuration))")
        return lines
    }
}
