import ChannelKit
import Foundation
import Yams

/// Loads and validates `channels.yaml`.
///
/// The loader parses the YAML into a node tree, replaces `${VAR}` placeholders in its values
/// (``EnvironmentInterpolator``), then reads every section, checking keys and kinds against
/// the documented keys and against each channel type's ``SettingField``s. It reports every
/// problem it finds, each with its file, line, column and key path, in one
/// ``ConfigurationError``.
///
/// ```swift
/// var registry = ChannelRegistry()
/// registry.register(.instagram)
/// let loader = ConfigurationLoader(registry: registry, environment: ProcessInfo.processInfo.environment)
/// let config = try loader.load(path: "channels.yaml")
/// print(loader.renderEffective(config))   // secrets masked
/// ```
///
/// The keys of each section are documented on ``ServerConfiguration``, ``StorageConfiguration``,
/// ``AssistantConfiguration``, ``TranscriptionConfiguration``, ``PipelineConfiguration``,
/// ``IdentityConfiguration``, ``IdentityEmailConfiguration``, ``ChannelConfiguration``,
/// ``AdminConfiguration`` and ``TracingConfiguration``.
struct ConfigurationLoader: Sendable {
    /// The channel types `type:` may name; their fields are the keys a channel accepts.
    let registry: ChannelRegistry
    /// The variables `${VAR}` placeholders refer to.
    let environment: [String: String]

    /// Creates a loader.
    /// - Parameters:
    ///   - registry: the channel types the host knows.
    ///   - environment: the variables placeholders refer to, usually
    ///     `ProcessInfo.processInfo.environment`.
    init(registry: ChannelRegistry, environment: [String: String]) {
        self.registry = registry
        self.environment = environment
    }

    /// Loads a configuration file.
    /// - Parameter path: the file; problems name it as given.
    /// - Returns: the validated configuration.
    /// - Throws: ``ConfigurationError`` when the file cannot be read or has any problem.
    func load(path: String) throws(ConfigurationError) -> HostConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(problems: [ConfigurationProblem(
                file: path,
                line: 0,
                column: 0,
                keyPath: "",
                message: "cannot read the configuration file '\(path)': \(Self.unreadableReason(path))"
            )])
        }
        return try load(yaml: text, file: path)
    }

    /// Loads a configuration from text.
    /// - Parameters:
    ///   - yaml: the file's contents.
    ///   - file: the name problems and ``HostConfiguration/sourceFile`` use.
    /// - Returns: the validated configuration.
    /// - Throws: ``ConfigurationError`` listing every problem found.
    func load(yaml: String, file: String) throws(ConfigurationError) -> HostConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigurationError(problems: ConfigurationProblem.problems(for: error, file: file, yaml: yaml))
        } catch {
            throw ConfigurationError(problems: [ConfigurationProblem(
                file: file, line: 0, column: 0, keyPath: "", message: "invalid YAML: \(error)"
            )])
        }

        let problems = ProblemCollector(file: file)
        let document = MappingReader(
            root,
            keyPath: "",
            keyMark: nil,
            expectation: "a mapping of sections (server, storage, assistant, transcription, pipeline, identity, channels, admin, tracing, handover)",
            problems: problems,
            interpolator: EnvironmentInterpolator(environment: environment)
        )
        document.rejectUnknownKeys(known: HostConfiguration.keys)
        let storageSection = document.section("storage")
        var configuration = HostConfiguration(
            sourceFile: file,
            server: readServer(document.section("server")),
            storage: readStorage(storageSection),
            assistant: readAssistant(document.section("assistant")),
            transcription: readTranscription(document.section("transcription")),
            pipeline: readPipeline(document.section("pipeline")),
            identity: readIdentity(document.section("identity")),
            channels: readChannels(document.section(
                "channels",
                expectation: "a mapping of channel names to their settings"
            ))
        )
        configuration.admin = readAdmin(document.section("admin"))
        configuration.tracing = readTracing(document.section("tracing"))
        configuration.handover = readHandover(document.section("handover"), channels: configuration.channels)
        requireSharedSecretKey(configuration, storage: storageSection)
        guard problems.isEmpty else {
            // Stable, so problems at one position keep the order they were found in.
            let inFileOrder = problems.problems.enumerated().sorted { left, right in
                (left.element.line, left.element.column, left.offset) < (right.element.line, right.element.column, right.offset)
            }
            throw ConfigurationError(problems: inFileOrder.map(\.element))
        }
        return configuration
    }

    /// Why `path` could not be read, in a few words.
    private static func unreadableReason(_ path: String) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return "no such file"
        }
        if isDirectory.boolValue {
            return "it is a directory"
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            return "permission denied"
        }
        return "it is not UTF-8 text"
    }
}
