import ChannelKit
import Foundation

// MARK: - ChannelSettingsStore

extension InMemoryStore {
    public func settingOverrides(channel: String) -> [String: StoredSetting] {
        settingOverrides[channel] ?? [:]
    }

    public func saveSettingOverrides(_ values: [String: String], removing removed: Set<String>, channel: String, at now: Date) {
        var saved = settingOverrides[channel] ?? [:]
        for key in removed { saved[key] = nil }
        for (key, value) in values { saved[key] = StoredSetting(value: value, updatedAt: now) }
        settingOverrides[channel] = saved.isEmpty ? nil : saved
    }
}
