import ChannelKit

/// The emulators a host can mount, by channel type: beside the channels, never inside them.
///
/// The host registers each emulator in one line and asks for one only for a channel running
/// in sandbox mode:
///
/// ```swift
/// var sandboxes = SandboxRegistry()
/// sandboxes.register(InstagramEmulation.self)
/// let sandbox = sandboxes.makeSandbox(type: "instagram", name: "instagram", settings: settings, context: context)
/// ```
public struct SandboxRegistry: Sendable {
    private var emulations: [String: any GraphEmulation.Type] = [:]

    /// Creates an empty registry.
    public init() {}

    /// Registers the emulator of the channels of `emulation`'s ``GraphEmulation/channelType``.
    public mutating func register(_ emulation: any GraphEmulation.Type) {
        emulations[emulation.channelType] = emulation
    }

    /// The registered channel types, sorted.
    public var types: [String] { emulations.keys.sorted() }

    /// Makes the emulator of a channel in sandbox mode.
    /// - Parameters:
    ///   - type: the channel type (`instagram`).
    ///   - name: the channel's name (its webhook and mount paths).
    ///   - settings: the channel's effective settings (its credentials and limits).
    ///   - context: the host's HTTP transport, logger and own base URL.
    /// - Returns: the emulator, or `nil` when no emulator of that type is registered.
    public func makeSandbox(type: String, name: String, settings: ChannelSettings, context: ChannelContext) -> (any ChannelSandbox)? {
        emulations[type].map { GraphEmulator($0.init(settings: settings), channelName: name, context: context) }
    }
}
