import Foundation

/// Where a channel setting's effective value comes from.
///
/// The precedence rule, the same for the portal, its API, `/readyz` and the documentation:
/// a value saved in the admin portal wins; otherwise `channels.yaml` decides — the
/// environment variable its `${VAR}` placeholder names when that is set, else the file's
/// literal text or placeholder default; otherwise the field's default.
enum SettingOrigin: Sendable, Hashable {
    /// Saved in the admin portal at this time.
    case portal(savedAt: Date)
    /// From this environment variable, through a `${VAR}` placeholder in `channels.yaml`.
    case environment(variable: String)
    /// Written in `channels.yaml` (or a placeholder's default there), at this line.
    case file(path: String, line: Int)
    /// Not configured: the field's default (possibly empty).
    case fieldDefault

    /// A short machine-readable name: `portal`, `environment`, `channels.yaml`, `default`.
    var kind: String {
        switch self {
        case .portal: "portal"
        case .environment: "environment"
        case .file: "channels.yaml"
        case .fieldDefault: "default"
        }
    }

    /// Whether the value was saved in the admin portal (and can be forgotten there).
    var isPortal: Bool {
        if case .portal = self { return true }
        return false
    }

    /// For people: `environment (INSTAGRAM_ACCESS_TOKEN)`, `channels.yaml line 74`, …
    var label: String {
        switch self {
        case .portal(let savedAt): "portal (saved \(Self.format(savedAt)))"
        case .environment(let variable): "environment (\(variable))"
        case .file(let path, let line): "\((path as NSString).lastPathComponent) line \(line)"
        case .fieldDefault: "default"
        }
    }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime]
        return formatter.string(from: date) + " UTC"
    }
}

/// Where each setting of one channel comes from, by key.
///
/// Provenance, not configuration: two configurations with the same values are equal wherever
/// their values came from, so this type compares equal to any other and hashes to nothing.
struct SettingOrigins: Sendable, Hashable {
    private var origins: [String: SettingOrigin] = [:]

    /// The origin of `key`; `.fieldDefault` when unknown.
    subscript(key: String) -> SettingOrigin {
        get { origins[key] ?? .fieldDefault }
        set { origins[key] = newValue }
    }

    static func == (lhs: SettingOrigins, rhs: SettingOrigins) -> Bool { true }
    func hash(into hasher: inout Hasher) {}
}
