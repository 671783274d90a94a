/// One configuration key of a channel, described as data.
///
/// The host validates `channels.yaml` against these fields (unknown keys and bad values are
/// reported with their file and line), masks secrets when it prints the configuration, and
/// the admin portal builds its forms from them.
public struct SettingField: Sendable, Hashable {
    /// The YAML key (`access_token`).
    public var key: String
    /// A label for people (`Access Token`).
    public var label: String
    /// The kind of value.
    public var kind: Kind
    /// Whether the value is a secret: masked in output, never logged.
    public var isSecret: Bool
    /// The value used when the key is absent or empty; `nil` means empty.
    public var defaultValue: String?
    /// One sentence of help.
    public var help: String

    /// Value kinds.
    public enum Kind: String, Sendable, Hashable {
        /// Any text.
        case string
        /// A whole number.
        case integer
        /// `true` or `false`.
        case boolean
        /// An `http://` or `https://` URL.
        case url
    }

    /// Creates a field.
    public init(key: String, label: String, kind: Kind = .string, isSecret: Bool = false, defaultValue: String? = nil, help: String) {
        self.key = key
        self.label = label
        self.kind = kind
        self.isSecret = isSecret
        self.defaultValue = defaultValue
        self.help = help
    }
}
