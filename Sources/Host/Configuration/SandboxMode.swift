/// Whether a channel talks to its local sandbox instead of the real platform: the `sandbox`
/// key of a channel in `channels.yaml`.
///
/// The file accepts `auto`, and `true`/`false` (or `on`/`off`, `yes`/`no`), case-insensitively.
enum SandboxMode: String, Sendable, Hashable, CaseIterable {
    /// The host decides (the default): the real platform with an access token; without one the
    /// sandbox while no other channel of the host is live, else the channel is off (see
    /// ``ChannelMode``), so a production host never leaves a channel open with a public secret.
    case auto
    /// Always the sandbox.
    case on
    /// Always the real platform; off without an access token.
    case off

    /// Parses a `sandbox:` value.
    /// - Parameter text: the value from the file.
    /// - Returns: the mode, or `nil` when the text is none of the accepted spellings.
    init?(configurationValue text: String) {
        switch text.lowercased() {
        case "auto": self = .auto
        case "true", "on", "yes": self = .on
        case "false", "off", "no": self = .off
        default: return nil
        }
    }

    /// The spelling ``ConfigurationLoader/renderEffective(_:)`` writes: `auto`, `true` or `false`.
    var configurationValue: String {
        switch self {
        case .auto: "auto"
        case .on: "true"
        case .off: "false"
        }
    }
}
