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
/// | `media_max_bytes` | `26214400` | `>= 1`; the largest image or voice message downloaded (25 MB), enforced while it streams. |
/// | `media_timeout_seconds` | `30` | `>= 1`; the time one download may take, redirects included. |
/// | `media_allowed_hosts` | `[]` | Extra media hosts (HTTPS, public addresses only) beyond the channel type's own; a list or a comma-separated string; `*.example.com` matches subdomains. |
/// | `media_allow_http_hosts` | `[]` | `host:port` entries media may come from over plain HTTP, at any address (local emulators and test servers). |
struct ChannelConfiguration: Sendable, Hashable {
    /// The default `max_body_bytes`.
    static let defaultMaxBodyBytes = 1_048_576
    /// The default `media_max_bytes`: 25 MB.
    static let defaultMediaMaxBytes = 25 * 1024 * 1024
    /// The default `media_timeout_seconds`.
    static let defaultMediaTimeoutSeconds = 30
    /// The keys every channel accepts, whatever its type.
    static let commonKeys = [
        "type", "enabled", "sandbox", "max_body_bytes",
        "media_max_bytes", "media_timeout_seconds", "media_allowed_hosts", "media_allow_http_hosts",
    ]

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
    /// The largest media download, in bytes (`media_max_bytes`).
    var mediaMaxBytes: Int
    /// The time one media download may take, in seconds (`media_timeout_seconds`).
    var mediaTimeoutSeconds: Int
    /// Extra media host patterns (`media_allowed_hosts`), lowercase.
    var mediaAllowedHosts: [String]
    /// `host:port` entries reachable over plain HTTP (`media_allow_http_hosts`), lowercase.
    var mediaAllowHTTPHosts: [String]
    /// The value of every one of ``fields``, defaults applied and checked against its kind.
    ///
    /// Integers are written in canonical form and booleans as `true`/`false`; a field with no
    /// value and no default is present as `""`.
    var settings: ChannelSettings
    /// The type's setting fields, in the factory's order (used to mask secrets when printing).
    var fields: [SettingField]
    /// Where each of ``settings``' values comes from in `channels.yaml` (the portal's saved
    /// values are layered on top by the host).
    var origins = SettingOrigins()

    /// Creates a channel configuration.
    /// - Parameters:
    ///   - name: the channel's name.
    ///   - type: the channel type.
    ///   - enabled: whether the host serves the channel.
    ///   - sandbox: whether the channel runs against its sandbox.
    ///   - maxBodyBytes: the largest webhook body accepted.
    ///   - mediaMaxBytes: the largest media download.
    ///   - mediaTimeoutSeconds: the time one media download may take.
    ///   - mediaAllowedHosts: extra media host patterns.
    ///   - mediaAllowHTTPHosts: `host:port` entries reachable over plain HTTP.
    ///   - settings: the values of `fields`.
    ///   - fields: the type's setting fields.
    init(
        name: String,
        type: String,
        enabled: Bool = true,
        sandbox: SandboxMode = .auto,
        maxBodyBytes: Int = defaultMaxBodyBytes,
        mediaMaxBytes: Int = defaultMediaMaxBytes,
        mediaTimeoutSeconds: Int = defaultMediaTimeoutSeconds,
        mediaAllowedHosts: [String] = [],
        mediaAllowHTTPHosts: [String] = [],
        settings: ChannelSettings = ChannelSettings(),
        fields: [SettingField] = []
    ) {
        self.name = name
        self.type = type
        self.enabled = enabled
        self.sandbox = sandbox
        self.maxBodyBytes = maxBodyBytes
        self.mediaMaxBytes = mediaMaxBytes
        self.mediaTimeoutSeconds = mediaTimeoutSeconds
        self.mediaAllowedHosts = mediaAllowedHosts
        self.mediaAllowHTTPHosts = mediaAllowHTTPHosts
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
