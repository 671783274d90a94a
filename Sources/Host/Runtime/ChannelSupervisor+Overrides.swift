import ChannelKit
import Logging

// MARK: - Values saved in the admin portal, read at start

extension ChannelSupervisor {
    /// Reads and opens the values saved for the configured channels.
    /// - Throws: ``HostStartError`` when the store cannot be read or a secret does not open
    ///   with this key (the key changed since it was saved).
    static func loadOverrides(for configuration: HostConfiguration, registry: ChannelRegistry, store: any ChannelSettingsStore,
                              secrets: SecretBox, logger: Logger) async throws -> Overrides {
        var overrides: Overrides = [:]
        for channel in configuration.channels where channel.enabled {
            let saved: [String: StoredSetting]
            do {
                saved = try await store.settingOverrides(channel: channel.name)
            } catch {
                throw HostStartError(component: "admin settings", message: "cannot read the saved settings of '\(channel.name)': \(error)")
            }
            var opened: [String: StoredSetting] = [:]
            for (key, setting) in saved {
                guard let field = channel.fields.first(where: { $0.key == key }) else {
                    logger.warning("a saved setting is no longer a key of its channel type; ignored",
                                   metadata: ["channel": "\(channel.name)", "key": "\(key)"])
                    continue
                }
                var value = setting.value
                if field.isSecret {
                    do {
                        value = try secrets.open(setting.value, context: Self.secretContext(channel.name, key))
                    } catch {
                        throw HostStartError(
                            component: "admin settings",
                            message: "the saved \(channel.name).\(key) does not open with this secret key (\(error)); "
                                + "start with the key it was saved with (admin.secret_key or its key file), "
                                + "or remove the saved value with `sandra settings reset \(channel.name)`")
                    }
                }
                opened[key] = StoredSetting(value: value, updatedAt: setting.updatedAt)
            }
            if !opened.isEmpty {
                logger.notice("using settings saved in the admin portal", metadata: [
                    "channel": "\(channel.name)", "keys": "\(opened.keys.sorted().joined(separator: ","))",
                ])
            }
            overrides[channel.name] = opened
        }
        return overrides
    }
}
