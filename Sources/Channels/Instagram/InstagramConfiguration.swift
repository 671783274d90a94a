import ChannelKit
import MetaPlatform

/// An Instagram channel's resolved settings: the shared Meta ones (``MetaGraphSettings``,
/// read through as `configuration.accessToken`) and Instagram's own — the login, the Page,
/// the text limit in bytes, the story-mention reply.
@dynamicMemberLookup
struct InstagramConfiguration: Sendable {
    /// The tokens, app secret, Graph version and host, and the sandbox switch.
    var graph: MetaGraphSettings
    /// Which login the token comes from.
    var login: GraphLogin = .facebook
    /// The Facebook Page whose token the access token is exchanged for (Facebook Login); empty: none.
    var pageID: String = ""
    /// The longest text one message may carry, in UTF-8 bytes.
    var maxMessageBytes: Int
    /// Whether replies due 24 hours to 7 days after the person's last message go tagged `HUMAN_AGENT`.
    var humanAgentTag: Bool
    /// What a story mention is answered with; empty: not answered.
    var storyMentionReply: String = ""

    /// A shared setting: `configuration.appSecret`.
    subscript<Value>(dynamicMember keyPath: KeyPath<MetaGraphSettings, Value>) -> Value {
        graph[keyPath: keyPath]
    }

    /// Reads settings.
    /// - Throws: ``ChannelError`` `.misconfigured` for a non-positive `max_message_bytes`, an
    ///   API version that is not one path segment, a `login` other than `facebook` or
    ///   `instagram`, a `page_id` with Instagram Login or not numeric, or a base URL that is not
    ///   http(s) or is the other login's host.
    init(name: String, settings: ChannelSettings, context: ChannelContext) throws {
        func value(_ key: InstagramChannelFactory.Key) -> String { MetaGraphSettings.value(key.rawValue, in: settings) }
        let configuredBase = MetaGraphSettings.value(MetaGraphSettings.Key.graphAPIBaseURL.rawValue, in: settings)
        if value(.login).isEmpty {
            self.login = GraphLogin.implied(byBaseURL: configuredBase)
        } else if let login = GraphLogin(setting: value(.login)) {
            self.login = login
        } else {
            throw ChannelError(.misconfigured, "login must be facebook (Instagram API with Facebook Login) or instagram (Instagram API with Instagram Login)")
        }
        self.graph = try MetaGraphSettings(name: name, settings: settings, context: context, defaultBaseURL: login.defaultBaseURL)
        self.maxMessageBytes = try MetaGraphSettings.positiveInteger(InstagramChannelFactory.Key.maxMessageBytes.rawValue,
                                                                     default: InstagramChannelFactory.defaultMaxMessageBytes, in: settings)
        self.humanAgentTag = HumanAgentTag.isEnabled(in: settings)
        self.pageID = value(.pageID)
        guard pageID.isEmpty || login == .facebook else {
            throw ChannelError(.misconfigured, "page_id is for Facebook Login; Instagram Login sends with the Instagram User access token itself")
        }
        guard MetaGraphSettings.isNumericID(pageID) else {
            throw ChannelError(.misconfigured, "page_id must be the Facebook Page's numeric id")
        }
        self.storyMentionReply = value(.storyMentionReply)
        if !graph.sandboxMode {
            let chosen = login
            let lowered = graph.graphBaseURL.lowercased()
            if let other = GraphLogin.allCases.first(where: { $0 != chosen && lowered == $0.defaultBaseURL }) {
                throw ChannelError(.misconfigured, "login is \(chosen.rawValue), whose tokens work on \(chosen.defaultBaseURL), but graph_api_base_url is "
                    + "\(other.defaultBaseURL): leave graph_api_base_url empty, or set login: \(other.rawValue)")
            }
        }
    }
}
