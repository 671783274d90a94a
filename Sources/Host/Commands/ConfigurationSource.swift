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
}
