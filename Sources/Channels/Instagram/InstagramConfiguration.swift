import ChannelKit
import MetaPlatform

/// An Instagram channel's resolved settings: defaults applied and, in sandbox mode, pointed at
/// the local emulator.
struct InstagramConfiguration: Sendable {
    /// Which login the token comes from.
    var login: GraphLogin = .facebook
    /// The Facebook Page whose token the access token is exchanged for (Facebook Login); empty: none.
    var pageID: String = ""
    /// Whether Graph calls carry `appsecret_proof`.
    var appSecretProof = false
    /// The Page or Instagram User access token.
    var accessToken: String
    /// The webhook handshake token.
    var verifyToken: String
    /// The app secret that keys webhook signatures.
    var appSecret: String
    /// The Graph version path segment.
    var apiVersion: String
    /// The Graph host, without a trailing slash.
    var graphBaseURL: String
    /// The longest text one message may carry, in UTF-8 bytes.
    var maxMessageBytes: Int
    /// Whether the channel talks to its local emulator.
    var sandboxMode: Bool
    /// What a story mention is answered with; empty: not answered.
    var storyMentionReply: String = ""

    /// Development credentials used in sandbox mode when none are configured.
    enum Sandbox {
        static let appSecret = "sandbox-app-secret"
        static let verifyToken = "sandbox-verify-token"
        static let accessToken = "sandbox-access-token"
    }

    /// Reads settings.
    /// - Throws: ``ChannelError`` `.misconfigured` for a non-positive `max_message_bytes`, an
    ///   API version that is not one path segment, or a base URL that is not http(s).
    init(name: String, settings: ChannelSettings, context: ChannelContext) throws {
        func value(_ key: InstagramChannelFactory.Key) -> String {
            settings.string(key.rawValue).trimmingWhitespace
        }
        let version = value(.apiVersion).isEmpty ? InstagramChannelFactory.defaultAPIVersion : value(.apiVersion)
        guard !version.contains("/"), !version.contains("?"), !version.contains(" ") else {
            throw ChannelError(.misconfigured, "api_version must be a single path segment such as v27.0")
        }
        let maxBytes = settings.integer(InstagramChannelFactory.Key.maxMessageBytes.rawValue, default: InstagramChannelFactory.defaultMaxMessageBytes)
        guard maxBytes > 0 else {
            throw ChannelError(.misconfigured, "max_message_bytes must be a positive number")
        }
        let configuredBase = value(.graphAPIBaseURL)
        if value(.login).isEmpty {
            self.login = GraphLogin.implied(byBaseURL: configuredBase)
        } else if let login = GraphLogin(setting: value(.login)) {
            self.login = login
        } else {
            throw ChannelError(.misconfigured, "login must be facebook (Instagram API with Facebook Login) or instagram (Instagram API with Instagram Login)")
        }
        self.pageID = value(.pageID)
        guard pageID.isEmpty || login == .facebook else {
            throw ChannelError(.misconfigured, "page_id is for Facebook Login; Instagram Login sends with the Instagram User access token itself")
        }
        guard pageID.allSatisfy({ $0.isNumber }) else {
            throw ChannelError(.misconfigured, "page_id must be the Facebook Page's numeric id")
        }
        self.appSecretProof = settings.boolean(InstagramChannelFactory.Key.appSecretProof.rawValue, default: false)
        self.apiVersion = version
        self.maxMessageBytes = maxBytes
        self.sandboxMode = context.sandboxMode
        self.storyMentionReply = value(.storyMentionReply)

        if context.sandboxMode {
            var local = context.localBaseURL
            while local.hasSuffix("/") { local.removeLast() }
            self.graphBaseURL = local + ChannelContext.sandboxPath(for: name) + "/graph"
            self.accessToken = value(.accessToken).isEmpty ? Sandbox.accessToken : value(.accessToken)
            self.verifyToken = value(.verifyToken).isEmpty ? Sandbox.verifyToken : value(.verifyToken)
            self.appSecret = value(.appSecret).isEmpty ? Sandbox.appSecret : value(.appSecret)
        } else {
            var base = configuredBase.isEmpty ? login.defaultBaseURL : configuredBase
            guard base.hasPrefix("https://") || base.hasPrefix("http://") else {
                throw ChannelError(.misconfigured, "graph_api_base_url must be an http:// or https:// URL")
            }
            while base.hasSuffix("/") { base.removeLast() }
            let chosen = login
            let lowered = base.lowercased()
            if let other = GraphLogin.allCases.first(where: { $0 != chosen && lowered == $0.defaultBaseURL }) {
                throw ChannelError(.misconfigured, "login is \(chosen.rawValue), whose tokens work on \(chosen.defaultBaseURL), but graph_api_base_url is "
                    + "\(other.defaultBaseURL): leave graph_api_base_url empty, or set login: \(other.rawValue)")
            }
            self.graphBaseURL = base
            self.accessToken = value(.accessToken)
            self.verifyToken = value(.verifyToken)
            self.appSecret = value(.appSecret)
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
