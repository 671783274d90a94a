/// What a configured channel does: talks to the real platform, to its local sandbox, or
/// nothing at all.
///
/// Decided at start from the channel's `sandbox` key and credentials (``HostSafety/modes(of:)``):
///
/// | `sandbox` | access token | mode |
/// |-----------|--------------|------|
/// | `true` | any | `sandbox` |
/// | `false` or `auto` | set | `live` |
/// | `false` | empty | `off` |
/// | `auto` | empty | `sandbox` while no channel of the host is live (a development host), else `off` |
enum ChannelMode: String, Sendable, Hashable {
    /// Talks to the real platform's API with its credentials.
    case live
    /// Talks to the local emulator at `/sandbox/<name>/`, signed with public development secrets.
    case sandbox
    /// Not served: no webhook, no sandbox, no sends.
    case off
}
