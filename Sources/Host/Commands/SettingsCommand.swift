import ArgumentParser
import ChannelKit
import Foundation

/// `sandra settings`: the channel settings saved in the admin portal, by key (never values).
struct SettingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "List or forget channel settings saved in the admin portal.",
        subcommands: [List.self, Reset.self],
        defaultSubcommand: List.self)

    /// `sandra settings list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List saved settings: channel, key and when (values are not shown).")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let configuration = try ConfigurationSource.loadOrExit(options: options, environment: ProcessInfo.processInfo.environment)
            let rows = try await InboxCommand.withStore(options) { store in
                var rows: [String] = []
                for channel in configuration.channels {
                    for (key, setting) in try await store.settingOverrides(channel: channel.name).sorted(by: { $0.key < $1.key }) {
                        rows.append("\(channel.name)\t\(key)\t\(SettingOrigin.format(setting.updatedAt))")
                    }
                }
                return rows
            }
            guard !rows.isEmpty else {
                print("no saved settings")
                return
            }
            print("CHANNEL\tKEY\tSAVED")
            for row in rows { print(row) }
        }
    }

    /// `sandra settings reset <channel> [--key k]`.
    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Forget a channel's saved settings (all, or the keys named), so channels.yaml decides again; a running host applies it within 10 seconds.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The channel's name.") var channel: String
        @Option(name: .customLong("key"), help: "Only this key (repeatable).") var keys: [String] = []

        func run() async throws {
            let removed = try await InboxCommand.withStore(options) { store in
                let saved = try await store.settingOverrides(channel: channel)
                let removing = keys.isEmpty ? Set(saved.keys) : Set(keys).intersection(saved.keys)
                try await store.saveSettingOverrides([:], removing: removing, channel: channel, at: Date())
                return removing.sorted()
            }
            print(removed.isEmpty ? "nothing saved for \(channel)" : "forgot \(channel): \(removed.joined(separator: ", "))")
        }
    }
}
