import ChannelKit
import MetaPlatform

/// A Messenger channel's resolved settings: the shared Meta ones (``MetaGraphSettings``, read
/// through as `configuration.accessToken`) and Messenger's own — the Page and the text limit.
@dynamicMemberLookup
struct MessengerConfiguration: Sendable {
    /// The Page access token, app secret, Graph version and host.
    var graph: MetaGraphSettings
    /// The Facebook Page's id; empty: the Page the token belongs to (`me`).
    var pageID: String
    /// The longest text one message may carry, in characters.
    var maxMessageCharacters: Int
    /// Whether replies due 24 hours to 7 days after the person's last message go tagged `HUMAN_AGENT`.
    var humanAgentTag: Bool

    /// A shared setting: `configuration.appSecret`.
    subscript<Value>(dynamicMember keyPath: KeyPath<MetaGraphSettings, Value>) -> Value {
        graph[keyPath: keyPath]
    }

    /// The Page the Graph paths name: its id, or `me` (the Page of the Page access token).
    var pageNode: String { pageID.isEmpty ? "me" : pageID }

    /// Reads settings.
    /// - Throws: ``ChannelError`` `.misconfigured` for a non-positive `max_message_characters`,
    ///   a `page_id` that is not numeric, an API version that is not one path segment, or a base
    ///   URL that is not http(s).
    init(name: String, settings: ChannelSettings, context: ChannelContext) throws {
        self.graph = try MetaGraphSettings(name: name, settings: settings, context: context,
                                           defaultBaseURL: MessengerChannelFactory.defaultGraphBaseURL)
        self.pageID = MetaGraphSettings.value(MessengerChannelFactory.Key.pageID.rawValue, in: settings)
        guard MetaGraphSettings.isNumericID(pageID) else {
            throw ChannelError(.misconfigured, "page_id must be the Facebook Page's numeric id")
        }
        self.maxMessageCharacters = try MetaGraphSettings.positiveInteger(MessengerChannelFactory.Key.maxMessageCharacters.rawValue,
                                                                    default: MessengerChannelFactory.defaultMaxMessageCharacters, in: settings)
        self.humanAgentTag = HumanAgentTag.isEnabled(in: settings)
    }
}
