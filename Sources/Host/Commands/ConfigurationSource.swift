import ArgumentParser
import ChannelKit
import Foundation

/// Loads the configuration a command asked for: the named file, or `./channels.yaml`, or —
/// when no file was named and `./channels.yaml` does not exist — the embedded defaults.
enum ConfigurationSource {
    static func load(options: ConfigOptions, registry: ChannelRegistry, environment: [String: String]) throws(ConfigurationError) -> HostConfiguration {
        let (path, explicit) = options.resolvedPath(environment: environment)
        let loader = ConfigurationLoader(registry: registry, environment: environment)
        if !explicit && !FileManager.default.fileExists(atPath: path) {
            return try loader.load(yaml: EmbeddedDefaults.channelsYAML, file: "<embedded defaults>")
        }
        return try loader.load(path: path)
    }

    /// Loads the configuration, or prints every problem to standard error and exits with 78 (EX_CONFIG).
    static func loadOrExit(options: ConfigOptions, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> HostConfiguration {
        do {
            return try load(options: options, registry: .builtin, environment: environment)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(78)
        }
    }
}
