import ChannelKit
import InstagramChannel

extension ChannelRegistry {
    /// The channel types this host ships. Adding a channel costs one line here.
    static var builtin: ChannelRegistry {
        var registry = ChannelRegistry()
        registry.register(.instagram)
        return registry
    }
}
