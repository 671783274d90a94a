import Foundation

/// A value an operator saved for one channel setting, through the admin portal or its API.
public struct StoredSetting: Sendable, Hashable {
    /// The value as the host handed it over: the host encrypts secrets before they reach a
    /// store, so a store treats every value as opaque text.
    public var value: String
    /// When the value was saved.
    public var updatedAt: Date

    /// Creates a stored setting.
    public init(value: String, updatedAt: Date) {
        self.value = value
        self.updatedAt = updatedAt
    }
}

/// Where settings saved by an operator are kept, per channel and key.
///
/// They override `channels.yaml` (see the host's precedence rule); removing one brings the
/// configured value back. Every method is atomic: a save replaces and removes its keys in
/// one transaction, so a reader never sees half of a save.
public protocol ChannelSettingsStore: Sendable {
    /// The saved values of one channel, by setting key.
    func settingOverrides(channel: String) async throws -> [String: StoredSetting]

    /// Saves `values` and removes `removed` for one channel, atomically.
    /// - Parameters:
    ///   - values: keys to set, with their (opaque) values.
    ///   - removed: keys whose saved value is forgotten; a key in both is set.
    ///   - channel: the configured channel name.
    ///   - now: the time recorded with each value.
    func saveSettingOverrides(_ values: [String: String], removing removed: Set<String>, channel: String, at now: Date) async throws
}
