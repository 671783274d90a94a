import Sandbox

extension SandboxRegistry {
    /// The emulators this host ships, mounted at `/sandbox/<name>` for channels in sandbox
    /// mode only. Adding a Meta channel's emulator costs one line here (and its description).
    static var builtin: SandboxRegistry {
        var registry = SandboxRegistry()
        registry.register(InstagramEmulation.self)
        registry.register(WhatsAppEmulation.self)
        registry.register(MessengerEmulation.self)
        return registry
    }
}
