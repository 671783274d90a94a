import ChannelKit

/// One entry of the `channels:` section of `channels.yaml`.
///
/// The entry's key is the channel's name; its value holds the common keys below and then the
/// keys of the channel type's ``ChannelFactory/settingFields``.
///
/// | Key | Default | Meaning |
/// |-----|---------|---------|
/// | `type` | (required) | A registered channel type (`instagram`). |
/// | `enabled` | `true` | Whether the host serves the channel. |
/// | `sandbox` | `auto` | `auto`, `true` or `false` (also `on`/`off`, `yes`/`no`). |
/// | `max_body_bytes` | `1048576` | `>= 1`; the largest webhook body accepted. |
struct ChannelConfiguration: Sendable, Hashable {
    /// The default `max_body_bytes`.
    static let defaultMaxBodyBytes = 1_048_576
    /// The keys every channel accepts, whatever its type.
    static let commonKeys = ["type", "enabled", "sandbox", "max_body_bytes"]

    /// The channel's name: its key under `channels:`, also its webhook path component.
    var name: String
    /// The channel type (`type`), a key of the ``ChannelRegistry``.
    var type: String
    /// Whether the host serves the channel (`enabled`).
    var enabled: Bool
    /// Whether the channel runs against its sandbox (`sandbox`).
    var sandbox: SandboxMode
    /// The largest webhook body accepted, in bytes (`max_body_bytes`).
    var maxBodyBytes: Int
    /// The value of every one of ``fields``, defaults applied and checked against its kind.
    ///
    /// Integers are written in canonical form and booleans as `true`/`false`; a field with no
    /// value and no default is present as `""`.
    var settings: ChannelSettings
    /// The type's setting fields, in the factory's order (used to mask secrets when printing).
    var fields: [SettingField]

    /// Creates a channel configuration.
    /// - Parameters:
    ///   - name: the channel's name.
    ///   - type: the channel type.
    ///   - enabled: whether the host serves the channel.
    ///   - sandbox: whether the channel runs against its sandbox.
    ///   - maxBodyBytes: the largest webhook body accepted.
    ///   - settings: the values of `fields`.
    ///   - fields: the type's setting fields.
    init(
        name: String,
        type: String,
        enabled: Bool = true,
        sandbox: SandboxMode = .auto,
        maxBodyBytes: Int = defaultMaxBodyBytes,
        settings: ChannelSettings = ChannelSettings(),
        fields: [SettingField] = []
    ) {
        self.name = name
        self.type = type
        self.enabled = enabled
        self.sandbox = sandbox
        self.maxBodyBytes = maxBodyBytes
        self.settings = settings
        self.fields = fields
    }

    /// Whether `name` is a valid channel name: `^[a-z0-9][a-z0-9_-]*$`, since it becomes a URL
    /// path component.
    /// - Parameter name: the candidate name.
    /// - Returns: `true` when the name is valid.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, isLowerAlphanumeric(first) else { return false }
        return name.unicodeScalars.allSatisfy { isLowerAlphanumeric($0) || $0 == "_" || $0 == "-" }
    }

    private static func isLowerAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
