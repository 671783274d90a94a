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
///
/// A platform that is not Meta's brings its own ``ChannelSandbox``:
/// `sandboxes.register(type: "webhook") { name, settings, context in MySandbox(…) }`.
public struct SandboxRegistry: Sendable {
    /// Makes the emulator of one channel: from its name, settings and the host's context.
    public typealias Maker = @Sendable (_ name: String, _ settings: ChannelSettings, _ context: ChannelContext) -> any ChannelSandbox

    private var makers: [String: Maker] = [:]

    /// Creates an empty registry.
    public init() {}

    /// Registers the Graph emulator of the channels of `emulation`'s ``GraphEmulation/channelType``.
    public mutating func register(_ emulation: any GraphEmulation.Type) {
        register(type: emulation.channelType) { name, settings, context in
            GraphEmulator(emulation.init(settings: settings), channelName: name, context: context)
        }
    }

    /// Registers any emulator for the channels of `type`.
    public mutating func register(type: String, make: @escaping Maker) {
        makers[type] = make
    }

    /// The registered channel types, sorted.
    public var types: [String] { makers.keys.sorted() }

    /// Makes the emulator of a channel in sandbox mode.
    /// - Parameters:
    ///   - type: the channel type (`instagram`).
    ///   - name: the channel's name (its webhook and mount paths).
    ///   - settings: the channel's effective settings (its credentials and limits).
    ///   - context: the host's HTTP transport, logger and own base URL.
    /// - Returns: the emulator, or `nil` when no emulator of that type is registered.
    public func makeSandbox(type: String, name: String, settings: ChannelSettings, context: ChannelContext) -> (any ChannelSandbox)? {
        makers[type].map { $0(name, settings, context) }
    }
}
