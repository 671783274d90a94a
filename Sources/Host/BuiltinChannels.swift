import ChannelKit
import ExampleWebhookChannel
import InstagramChannel
import MessengerChannel
import WhatsAppChannel

extension ChannelRegistry {
    /// The channel types this host ships. Adding a channel costs one line here.
    static var builtin: ChannelRegistry {
        var registry = ChannelRegistry()
        registry.register(.instagram)
        registry.register(.whatsapp)
        registry.register(.messenger)
        registry.register(.webhook)
        return registry
    }
}
