import ChannelKit

/// A WhatsApp channel's resolved settings: defaults applied and, in sandbox mode, pointed at
/// the local emulator.
struct WhatsAppConfiguration: Sendable {
    /// The system-user access token.
    var accessToken: String
    /// The webhook handshake token.
    var verifyToken: String
    /// The app secret that keys webhook signatures.
    var appSecret: String
    /// The business phone number answered for; empty answers every number.
    var phoneNumberID: String
    /// The Graph version path segment.
    var apiVersion: String
    /// The Graph host, without a trailing slash.
    var graphBaseURL: String
    /// The longest text one message may carry, in characters.
    var maxMessageCharacters: Int
    /// Whether Graph calls carry `appsecret_proof`.
    var appSecretProof = false
    /// Whether the channel talks to its local emulator.
    var sandboxMode: Bool

    /// Development credentials used in sandbox mode when none are configured.
    enum Sandbox {
        static let appSecret = "sandbox-app-secret"
        static let verifyToken = "sandbox-verify-token"
        static let accessToken = "sandbox-access-token"
        /// The emulated business phone number id.
        static let phoneNumberID = "100000000000001"
    }

    /// Reads settings.
    /// - Throws: ``ChannelError`` `.misconfigured` for a non-positive `max_message_characters`,
    ///   an API version or phone number id that is not one path segment, or a base URL that is
    ///   not http(s).
    init(name: String, settings: ChannelSettings, context: ChannelContext) throws {
        func value(_ key: WhatsAppChannelFactory.Key) -> String {
            settings.string(key.rawValue).trimmingWhitespace
        }
        let version = value(.apiVersion).isEmpty ? WhatsAppChannelFactory.defaultAPIVersion : value(.apiVersion)
        guard Self.isPathSegment(version) else {
            throw ChannelError(.misconfigured, "api_version must be a single path segment such as v27.0")
        }
        let phoneNumberID = value(.phoneNumberID)
        guard phoneNumberID.isEmpty || Self.isPathSegment(phoneNumberID) else {
            throw ChannelError(.misconfigured, "phone_number_id must be the number's id (digits), not a phone number with spaces or slashes")
        }
        let maxCharacters = settings.integer(WhatsAppChannelFactory.Key.maxMessageCharacters.rawValue,
                                             default: WhatsAppChannelFactory.defaultMaxMessageCharacters)
        guard maxCharacters > 0 else {
            throw ChannelError(.misconfigured, "max_message_characters must be a positive number")
        }
        self.apiVersion = version
        self.maxMessageCharacters = maxCharacters
        self.appSecretProof = settings.boolean(WhatsAppChannelFactory.Key.appSecretProof.rawValue, default: false)
        self.sandboxMode = context.sandboxMode

        if context.sandboxMode {
            var local = context.localBaseURL
            while local.hasSuffix("/") { local.removeLast() }
            self.graphBaseURL = local + ChannelContext.sandboxPath(for: name) + "/graph"
            self.accessToken = value(.accessToken).isEmpty ? Sandbox.accessToken : value(.accessToken)
            self.verifyToken = value(.verifyToken).isEmpty ? Sandbox.verifyToken : value(.verifyToken)
            self.appSecret = value(.appSecret).isEmpty ? Sandbox.appSecret : value(.appSecret)
            self.phoneNumberID = phoneNumberID.isEmpty ? Sandbox.phoneNumberID : phoneNumberID
        } else {
            var base = value(.graphAPIBaseURL).isEmpty ? WhatsAppChannelFactory.defaultGraphBaseURL : value(.graphAPIBaseURL)
            guard base.hasPrefix("https://") || base.hasPrefix("http://") else {
                throw ChannelError(.misconfigured, "graph_api_base_url must be an http:// or https:// URL")
            }
            while base.hasSuffix("/") { base.removeLast() }
            self.graphBaseURL = base
            self.accessToken = value(.accessToken)
            self.verifyToken = value(.verifyToken)
            self.appSecret = value(.appSecret)
            self.phoneNumberID = phoneNumberID
        }
    }

    private static func isPathSegment(_ text: String) -> Bool {
        !text.isEmpty && !text.contains("/") && !text.contains("?") && !text.contains("#") && !text.contains(where: \.isWhitespace)
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
