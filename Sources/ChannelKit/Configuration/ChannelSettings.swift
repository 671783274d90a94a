/// A channel's validated settings: the values of its ``SettingField``s, as text.
///
/// The host has already checked every value against its field's kind, so the typed accessors
/// only fall back to defaults; they never fail.
public struct ChannelSettings: Sendable, Hashable {
    /// The values by key; absent keys take the field's default.
    public var values: [String: String]

    /// Creates settings.
    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    /// The text value of `key`, or `""` when absent.
    public func string(_ key: String) -> String { values[key] ?? "" }

    /// The integer value of `key`, or `fallback` when absent or not a number.
    public func integer(_ key: String, default fallback: Int) -> Int {
        values[key].flatMap { Int($0) } ?? fallback
    }

    /// The boolean value of `key`, or `fallback` when absent.
    public func boolean(_ key: String, default fallback: Bool) -> Bool {
        switch values[key]?.lowercased() {
        case "true", "yes", "on", "1": true
        case "false", "no", "off", "0": false
        default: fallback
        }
    }
}
