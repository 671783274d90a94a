import ChannelKit
import MetaPlatform

/// A WhatsApp channel's resolved settings: the shared Meta ones (``MetaGraphSettings``, read
/// through as `configuration.accessToken`) and WhatsApp's own — the phone number id and the
/// text limit in characters.
@dynamicMemberLookup
struct WhatsAppConfiguration: Sendable {
    /// The tokens, app secret, Graph version and host, and the sandbox switch.
    var graph: MetaGraphSettings
    /// The business phone number answered for; empty answers every number.
    var phoneNumberID: String
    /// The longest text one message may carry, in characters.
    var maxMessageCharacters: Int

    /// A shared setting: `configuration.appSecret`.
    subscript<Value>(dynamicMember keyPath: KeyPath<MetaGraphSettings, Value>) -> Value {
        graph[keyPath: keyPath]
    }

    /// Reads settings.
    /// - Throws: ``ChannelError`` `.misconfigured` for a non-positive `max_message_characters`,
    ///   an API version or phone number id that is not one path segment, or a base URL that is
    ///   not http(s).
    init(name: String, settings: ChannelSettings, context: ChannelContext) throws {
        self.graph = try MetaGraphSettings(name: name, settings: settings, context: context,
                                           defaultBaseURL: WhatsAppChannelFactory.defaultGraphBaseURL)
        let phoneNumberID = MetaGraphSettings.value(WhatsAppChannelFactory.Key.phoneNumberID.rawValue, in: settings)
        guard phoneNumberID.isEmpty || MetaGraphSettings.isPathSegment(phoneNumberID) else {
            throw ChannelError(.misconfigured, "phone_number_id must be the number's id (digits), not a phone number with spaces or slashes")
        }
        self.maxMessageCharacters = try MetaGraphSettings.positiveInteger(WhatsAppChannelFactory.Key.maxMessageCharacters.rawValue,
                                                                    default: WhatsAppChannelFactory.defaultMaxMessageCharacters, in: settings)
        self.phoneNumberID = phoneNumberID.isEmpty && graph.sandboxMode ? MetaGraphSettings.SandboxCredentials.whatsAppPhoneNumberID : phoneNumberID
    }
}
