import ArgumentParser
import ChannelKit
import Foundation

/// `sandra check-config`: validates the configuration and prints it with secrets masked.
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
        for channel in configuration.channels where channel.enabled {
            let sandbox = HostRuntime.sandboxMode(for: channel)
            print("# \(channel.name): webhook \(ChannelContext.webhookPath(for: channel.name))"
                + (sandbox ? ", sandbox mode (\(ChannelContext.sandboxPath(for: channel.name))/)" : ""))
        }
    }
}
