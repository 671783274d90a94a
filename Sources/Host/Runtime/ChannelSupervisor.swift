import ChannelKit
import ChannelMedia
import ChannelPipeline
import Foundation
import Logging
import Sandbox
import Synchronization

/// The channels the host serves, with their effective settings and where each value comes
/// from; replaces one channel while the host runs when an operator saves new settings.
///
/// Webhook and sandbox routes look a channel up here on every request, so a reconfigured
/// channel serves the next request. A reconfiguration makes the new channel first (any
/// refusal leaves everything as it was), saves the values (secrets sealed), then swaps the
/// channel in the routes, the media step and the pipeline — whose replies in flight finish
/// through the channel they began with, and whose waiting replies go on through the new
/// one. Nothing accepted is lost or answered twice: the inbox and the outbox do not depend on
/// the channel object.
final class ChannelSupervisor: Sendable {
    /// One served channel.
    struct Mounted: Sendable {
        /// The channel object serving now.
        let channel: any ChannelKit.Channel
        /// Its configuration, with the effective settings (saved values applied).
        let configuration: ChannelConfiguration
        /// Whether it runs against its real platform or its sandbox.
        let mode: ChannelMode
        /// Whether it runs against its sandbox.
        var sandboxMode: Bool { mode == .sandbox }
        /// Its platform's emulator, in sandbox mode only.
        let sandbox: (any ChannelSandbox)?
        /// The platform's name for people (`Instagram`).
        let displayName: String
        /// Where each setting's effective value comes from.
        let origins: [String: SettingOrigin]
    }

    /// Values an operator saved, opened, with their save time.
    typealias Overrides = [String: [String: StoredSetting]]

    /// What makes a channel; the host's resources.
    struct Maker: Sendable {
        let registry: ChannelRegistry
        /// The emulators, for channels in sandbox mode.
        var sandboxes: SandboxRegistry = .builtin
        let transport: any HTTPTransport
        let logger: Logger
        let localBaseURL: String

        func make(_ configuration: ChannelConfiguration, mode: ChannelMode) throws -> Made {
            guard let factory = registry.factory(forType: configuration.type) else {
                throw HostStartError(component: "channel '\(configuration.name)'", message: "no channel type '\(configuration.type)' is registered")
            }
            let sandboxMode = mode == .sandbox
            var channelLogger = logger
            channelLogger[metadataKey: "channel"] = "\(configuration.name)"
            let context = ChannelContext(http: transport, logger: channelLogger, localBaseURL: localBaseURL, sandboxMode: sandboxMode)
            let channel = try factory.makeChannel(name: configuration.name, settings: configuration.settings, context: context)
            let sandbox = sandboxMode
                ? sandboxes.makeSandbox(type: configuration.type, name: configuration.name, settings: configuration.settings, context: context)
                : nil
            return Made(channel: channel, mode: mode, sandbox: sandbox)
        }
    }

    /// A channel made from a configuration, and its mode.
    struct Made: Sendable {
        let channel: any ChannelKit.Channel
        let mode: ChannelMode
        /// The platform's emulator, in sandbox mode only.
        let sandbox: (any ChannelSandbox)?
        var sandboxMode: Bool { mode == .sandbox }
    }

    /// Where a reconfigured channel is swapped in besides the routes.
    struct Swap: Sendable {
        let pipeline: Pipeline
        let preparer: MediaPreparer
        let status: ChannelStatusBoard
    }

    private let maker: Maker
    private let store: any ChannelSettingsStore
    private let secrets: SecretBox
    private let mounted: Mutex<[String: Mounted]>
    /// The channels as `channels.yaml` configures them, before saved values.
    private let configuredChannels: [String: ChannelConfiguration]
    /// The served channels' names, in configuration order.
    let names: [String]
    /// The enabled channels that are off (no credentials on a live host, or `sandbox: false`
    /// without them), in configuration order: not served.
    let offNames: [String]
    /// The host's assistant and mailer choices, which a channel going live must satisfy.
    let hostConfiguration: HostConfiguration
    private let busy = Mutex<Set<String>>([])
    private let swap = Mutex<Swap?>(nil)

    /// Makes every enabled channel of `configuration` with the saved values applied, except
    /// the ones that are off.
    /// - Throws: ``HostStartError`` when a channel cannot be made, or when the channels' modes
    ///   make the host unsafe to start (``HostSafety/problems(of:modes:)``).
    init(configuration: HostConfiguration, overrides: Overrides, maker: Maker, store: any ChannelSettingsStore, secrets: SecretBox) throws {
        self.maker = maker
        self.store = store
        self.secrets = secrets
        self.hostConfiguration = configuration
        var mounted: [String: Mounted] = [:]
        var names: [String] = []
        var offNames: [String] = []
        var configuredChannels: [String: ChannelConfiguration] = [:]
        var effectiveConfiguration = configuration
        effectiveConfiguration.channels = configuration.channels.map { Self.apply(overrides[$0.name] ?? [:], to: $0).0 }
        let modes = HostSafety.modes(of: effectiveConfiguration.channels)
        if let problem = HostSafety.problems(of: effectiveConfiguration, modes: modes).first {
            throw HostStartError(component: "host", message: problem)
        }
        for configured in configuration.channels where configured.enabled {
            configuredChannels[configured.name] = configured
            let mode = modes[configured.name] ?? .off
            guard mode != .off else {
                offNames.append(configured.name)
                continue
            }
            let (effective, origins) = Self.apply(overrides[configured.name] ?? [:], to: configured)
            let made: Made
            do {
                made = try maker.make(effective, mode: mode)
            } catch let error as HostStartError {
                throw error
            } catch {
                throw HostStartError(component: "channel '\(configured.name)'", message: "\(error)")
            }
            mounted[configured.name] = Mounted(
                channel: made.channel, configuration: effective, mode: made.mode, sandbox: made.sandbox,
                displayName: maker.registry.factory(forType: configured.type)?.displayName ?? configured.type, origins: origins)
            names.append(configured.name)
        }
        self.mounted = Mutex(mounted)
        self.names = names
        self.offNames = offNames
        self.configuredChannels = configuredChannels
    }

    /// Connects the supervisor to the parts that take a reconfigured channel.
    func attach(_ swap: Swap) {
        self.swap.withLock { $0 = swap }
    }

    /// The channel serving `name` now.
    func channel(named name: String) -> Mounted? {
        mounted.withLock { $0[name] }
    }

    /// Every served channel, in configuration order.
    var all: [Mounted] {
        mounted.withLock { mounted in names.compactMap { mounted[$0] } }
    }

    // MARK: - Saved values

    /// What authenticates a sealed secret: its channel and key.
    static func secretContext(_ channel: String, _ key: String) -> String { "\(channel)/\(key)" }

    /// The configuration with saved values layered on, and every value's origin.
    static func apply(_ saved: [String: StoredSetting], to configured: ChannelConfiguration) -> (ChannelConfiguration, [String: SettingOrigin]) {
        var effective = configured
        var origins: [String: SettingOrigin] = [:]
        for field in configured.fields {
            if let value = saved[field.key] {
                effective.settings.values[field.key] = value.value
                origins[field.key] = .portal(savedAt: value.updatedAt)
            } else {
                origins[field.key] = configured.origins[field.key]
            }
        }
        return (effective, origins)
    }

    // MARK: - Reconfiguring

    /// A change an operator asks for.
    struct Change: Sendable {
        /// New values by key, as typed (trimmed here). For a secret, an empty value means "keep".
        var values: [String: String] = [:]
        /// Keys whose saved value is forgotten, so `channels.yaml` decides again.
        var reset: Set<String> = []
        /// Who asks, for the log: `the admin portal`, `an access token refresh`.
        var source = "the admin portal"
    }

    /// Why a change was refused; nothing was saved or swapped.
    struct Refusal: Error, Sendable {
        /// Problems by setting key; `""` for the whole channel.
        var problems: [String: String]
        /// The HTTP status that fits.
        var status: Int = 400
    }

    /// What a saved change did.
    struct Outcome: Sendable {
        let mounted: Mounted
        /// Keys whose value changed or whose saved value was forgotten.
        let changedKeys: [String]
    }

    /// Checks, saves and applies a change to one channel while the host runs.
    /// - Throws: ``Refusal`` for unknown channels or keys, values of the wrong kind, settings
    ///   the channel type refuses, another save of the same channel in progress, or a store
    ///   that cannot save.
    func reconfigure(_ name: String, _ change: Change, at now: Date = Date()) async throws -> Outcome {
        guard let current = channel(named: name) else { throw Refusal(problems: ["": "no channel named '\(name)'"], status: 404) }
        guard busy.withLock({ $0.insert(name).inserted }) else {
            throw Refusal(problems: ["": "another change to this channel is being saved; try again"], status: 409)
        }
        defer { _ = busy.withLock { $0.remove(name) } }

        let fields = current.configuration.fields
        var problems: [String: String] = [:]
        for key in Set(change.values.keys).union(change.reset) where !fields.contains(where: { $0.key == key }) {
            problems[key] = "not a setting of \(current.displayName) channels"
        }
        var updates: [String: String] = [:]
        for field in fields {
            if change.reset.contains(field.key) { continue }
            guard let raw = change.values[field.key] else { continue }
            var text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if field.isSecret && text.isEmpty { continue }
            // As in channels.yaml, an emptied value takes the field's default.
            if text.isEmpty { text = field.defaultValue ?? "" }
            switch text.isEmpty ? .success("") : ConfigurationLoader.convert(text, to: field) {
            case .success(let value):
                // Unchanged values (a form sends every field back) save nothing.
                if value != current.configuration.settings.string(field.key) { updates[field.key] = value }
            case .failure(let problem):
                problems[field.key] = problem.message
            }
        }
        guard problems.isEmpty else { throw Refusal(problems: problems) }
        let resets = change.reset.filter { current.origins[$0]?.isPortal == true }
        guard !updates.isEmpty || !resets.isEmpty else { return Outcome(mounted: current, changedKeys: []) }

        // The values saved after this change, and the configuration they give.
        let savedBefore = try await savedValues(of: name)
        var saved = savedBefore
        for key in resets { saved[key] = nil }
        for (key, value) in updates { saved[key] = StoredSetting(value: value, updatedAt: now) }
        guard let configured = configuredChannels[name] else {
            throw Refusal(problems: ["": "no channel named '\(name)'"], status: 404)
        }
        let (effective, origins) = Self.apply(saved, to: configured)
        let mode: ChannelMode
        do {
            mode = try modeAfterChange(of: effective)
        } catch {
            throw Refusal(problems: ["": error.message], status: 409)
        }
        let made: Made
        do {
            made = try maker.make(effective, mode: mode)
        } catch let error as ChannelError {
            throw Refusal(problems: ["": error.message])
        } catch {
            throw Refusal(problems: ["": "\(error)"])
        }

        var sealed: [String: String] = [:]
        do {
            for (key, value) in updates {
                let isSecret = fields.first { $0.key == key }?.isSecret ?? false
                sealed[key] = isSecret ? try secrets.seal(value, context: Self.secretContext(name, key)) : value
            }
            try await store.saveSettingOverrides(sealed, removing: Set(resets), channel: name, at: now)
        } catch {
            maker.logger.error("saved channel settings could not be stored", metadata: ["channel": "\(name)", "error": "\(error)"])
            throw Refusal(problems: ["": "the settings could not be saved: the store refused the write"], status: 503)
        }

        let mounted = await serve(made, in: effective, origins: origins, replacing: current)
        let changed = (Array(updates.keys) + resets).sorted()
        maker.logger.notice("channel reconfigured from \(change.source); serving with the new settings", metadata: [
            "channel": "\(name)", "keys": "\(changed.joined(separator: ","))", "sandbox": "\(made.sandboxMode)",
        ])
        return Outcome(mounted: mounted, changedKeys: changed)
    }

    /// Serves a newly made channel in place of `current`: its sandbox takes over the old one's
    /// conversations, and the routes, the media step and the pipeline switch to it.
    private func serve(_ made: Made, in effective: ChannelConfiguration,
                       origins: [String: SettingOrigin], replacing current: Mounted) async -> Mounted {
        let name = effective.name
        if let previous = current.sandbox, let next = made.sandbox {
            await next.adopt(previous)
        }
        let mounted = Mounted(channel: made.channel, configuration: effective, mode: made.mode, sandbox: made.sandbox,
                              displayName: current.displayName, origins: origins)
        self.mounted.withLock { $0[name] = mounted }
        if let swap = swap.withLock({ $0 }) {
            swap.preparer.setPolicy(HostRuntime.mediaPolicy(for: effective, profile: made.channel.profile, sandboxMode: made.sandboxMode,
                                                            localBaseURL: maker.localBaseURL), for: name)
            swap.status.channelReconfigured(channel: name, mode: made.mode)
            await swap.pipeline.replaceChannel(made.channel)
        }
        return mounted
    }

    // MARK: - Changes made outside the portal

    /// How often a running host looks for saved settings changed by someone else
    /// (`sandra settings reset`, another host sharing the database).
    static let storeCheckInterval: Duration = .seconds(3)

    /// Checks the store every ``storeCheckInterval`` until the task is cancelled.
    func watchStore() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: Self.storeCheckInterval) } catch { return }
            _ = await applyStoreChanges()
        }
    }

    /// Serves every channel with the values saved in the store now, when they differ from the
    /// ones it serves with: what `sandra settings reset` forgot goes back to `channels.yaml`.
    /// A channel being saved from the portal is left to that save; a channel whose saved values
    /// cannot be read or opened, or that its type refuses, keeps serving as it does.
    /// - Returns: the names of the channels served with new values.
    @discardableResult
    func applyStoreChanges() async -> [String] {
        var applied: [String] = []
        for name in names {
            guard busy.withLock({ $0.insert(name).inserted }) else { continue }
            defer { _ = busy.withLock { $0.remove(name) } }
            guard let current = channel(named: name), let configured = configuredChannels[name] else { continue }
            let saved: [String: StoredSetting]
            do {
                saved = try await savedValues(of: name, strict: true)
            } catch {
                maker.logger.warning("saved channel settings could not be read; the channel keeps its settings",
                                     metadata: ["channel": "\(name)", "error": "\(error)"])
                continue
            }
            let (effective, origins) = Self.apply(saved, to: configured)
            if effective.settings == current.configuration.settings {
                if origins != current.origins {
                    let relabelled = Mounted(channel: current.channel, configuration: effective, mode: current.mode, sandbox: current.sandbox,
                                             displayName: current.displayName, origins: origins)
                    mounted.withLock { $0[name] = relabelled }
                }
                continue
            }
            let made: Made
            do {
                made = try maker.make(effective, mode: try modeAfterChange(of: effective))
            } catch {
                maker.logger.error("the saved channel settings are refused by the channel type; the channel keeps its settings",
                                   metadata: ["channel": "\(name)", "error": "\(error)"])
                continue
            }
            _ = await serve(made, in: effective, origins: origins, replacing: current)
            applied.append(name)
            let changed = configured.fields.map(\.key).filter {
                effective.settings.values[$0] != current.configuration.settings.values[$0]
            }
            maker.logger.notice("saved channel settings changed outside the portal; serving with them", metadata: [
                "channel": "\(name)", "keys": "\(changed.sorted().joined(separator: ","))", "sandbox": "\(made.sandboxMode)",
            ])
        }
        return applied
    }

    /// The values saved for a channel now, opened.
    /// - Parameter strict: a saved secret that does not open with this key throws instead of
    ///   being left out.
    private func savedValues(of name: String, strict: Bool = false) async throws -> [String: StoredSetting] {
        let stored: [String: StoredSetting]
        do {
            stored = try await store.settingOverrides(channel: name)
        } catch {
            throw Refusal(problems: ["": "the saved settings could not be read"], status: 503)
        }
        guard let fields = channel(named: name)?.configuration.fields else { return [:] }
        var opened: [String: StoredSetting] = [:]
        for (key, setting) in stored {
            guard let field = fields.first(where: { $0.key == key }) else { continue }
            var value: String? = setting.value
            if field.isSecret {
                do {
                    value = try secrets.open(setting.value, context: Self.secretContext(name, key))
                } catch {
                    if strict { throw Refusal(problems: [key: "the saved value does not open with this secret key"], status: 503) }
                    value = nil
                }
            }
            if let value { opened[key] = StoredSetting(value: value, updatedAt: setting.updatedAt) }
        }
        return opened
    }
}
