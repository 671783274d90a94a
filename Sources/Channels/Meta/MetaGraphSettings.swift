import ChannelKit

/// The settings every Meta channel has — its tokens, its app secret, the Graph version and
/// host — read once, with defaults applied and, in sandbox mode, pointed at the local emulator.
///
/// A channel's own configuration composes it with what only that channel has (a phone number
/// id, a login, a text limit):
///
/// ```swift
/// let graph = try MetaGraphSettings(name: name, settings: settings, context: context,
///                                   defaultBaseURL: "https://graph.facebook.com")
/// let client = graph.makeClient(http: context.http)
/// ```
public struct MetaGraphSettings: Sendable {
    /// The setting keys every Meta channel shares. Their spelling is part of the configuration
    /// contract.
    public enum Key: String, Sendable, CaseIterable {
        /// The access token.
        case accessToken = "access_token"
        /// The webhook verify token.
        case verifyToken = "verify_token"
        /// The app secret.
        case appSecret = "app_secret"
        /// The Graph API version.
        case apiVersion = "api_version"
        /// The Graph API host.
        case graphAPIBaseURL = "graph_api_base_url"
        /// Whether Graph calls carry `appsecret_proof`.
        case appSecretProof = "appsecret_proof"
        /// The Meta app's id: echoes of this app's own sends carry it.
        case appID = "app_id"
    }

    /// Development credentials used in sandbox mode for any that are not configured. They are
    /// public: the host serves a sandbox channel on loopback only unless told otherwise.
    public enum SandboxCredentials {
        /// The app secret that signs the emulator's webhooks.
        public static let appSecret = "sandbox-app-secret"
        /// The handshake's verify token.
        public static let verifyToken = "sandbox-verify-token"
        /// The bearer token the emulator takes.
        public static let accessToken = "sandbox-access-token"
        /// The emulated WhatsApp business phone number id, for a WhatsApp channel without one.
        public static let whatsAppPhoneNumberID = "100000000000001"
    }

    /// The access token Graph calls are made with.
    public var accessToken: String
    /// The webhook handshake token.
    public var verifyToken: String
    /// The app secret that keys webhook signatures (and `appsecret_proof`).
    public var appSecret: String
    /// The Graph version path segment (`v27.0`).
    public var apiVersion: String
    /// The Graph host, without a trailing slash.
    public var graphBaseURL: String
    /// Whether Graph calls carry `appsecret_proof`.
    public var appSecretProof: Bool
    /// Whether the channel talks to its local emulator.
    public var sandboxMode: Bool
    /// The Meta app's id, when configured: an echo carrying it is this host's own send; one
    /// carrying another app's id, or none, may be a person's reply, which pauses Sandra there.
    public var appID: String?

    /// Reads the shared settings.
    /// - Parameters:
    ///   - name: the configured channel name (the emulator's path carries it).
    ///   - settings: the channel's settings.
    ///   - context: the host's base URL and sandbox switch.
    ///   - defaultBaseURL: the Graph host when `graph_api_base_url` is empty.
    /// - Throws: ``ChannelError`` `.misconfigured` for an API version that is not one path
    ///   segment, or a base URL that is not http(s).
    public init(name: String, settings: ChannelSettings, context: ChannelContext, defaultBaseURL: String) throws {
        func value(_ key: Key) -> String { Self.value(key.rawValue, in: settings) }
        let version = value(.apiVersion).isEmpty ? GraphAPIVersions.recommended : value(.apiVersion)
        guard Self.isPathSegment(version) else {
            throw ChannelError(.misconfigured, "api_version must be a single path segment such as v27.0")
        }
        self.apiVersion = version
        self.appSecretProof = settings.boolean(Key.appSecretProof.rawValue, default: false)
        self.sandboxMode = context.sandboxMode
        let appID = value(.appID)
        guard Self.isNumericID(appID) else {
            throw ChannelError(.misconfigured, "app_id must be the Meta app's numeric id")
        }
        self.appID = appID.isEmpty ? nil : appID
        if context.sandboxMode {
            var local = context.localBaseURL
            while local.hasSuffix("/") { local.removeLast() }
            self.graphBaseURL = local + ChannelContext.sandboxPath(for: name) + "/graph"
            self.accessToken = value(.accessToken).isEmpty ? SandboxCredentials.accessToken : value(.accessToken)
            self.verifyToken = value(.verifyToken).isEmpty ? SandboxCredentials.verifyToken : value(.verifyToken)
            self.appSecret = value(.appSecret).isEmpty ? SandboxCredentials.appSecret : value(.appSecret)
        } else {
            var base = value(.graphAPIBaseURL).isEmpty ? defaultBaseURL : value(.graphAPIBaseURL)
            guard base.hasPrefix("https://") || base.hasPrefix("http://") else {
                throw ChannelError(.misconfigured, "graph_api_base_url must be an http:// or https:// URL")
            }
            while base.hasSuffix("/") { base.removeLast() }
            self.graphBaseURL = base
            self.accessToken = value(.accessToken)
            self.verifyToken = value(.verifyToken)
            self.appSecret = value(.appSecret)
        }
    }

    /// A setting's value with surrounding whitespace removed; empty when unset.
    public static func value(_ key: String, in settings: ChannelSettings) -> String {
        settings.string(key).trimmingWhitespace
    }

    /// A positive whole-number setting (a text limit), or `defaultValue` when it is unset.
    /// - Throws: ``ChannelError`` `.misconfigured` for zero or less.
    public static func positiveInteger(_ key: String, default defaultValue: Int, in settings: ChannelSettings) throws -> Int {
        let number = settings.integer(key, default: defaultValue)
        guard number > 0 else {
            throw ChannelError(.misconfigured, "\(key) must be a positive number")
        }
        return number
    }

    /// Whether `text` is a Graph node id: ASCII digits only (a Page's id), or empty.
    public static func isNumericID(_ text: String) -> Bool {
        text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// Whether `text` can stand as one URL path segment: not empty, no `/`, `?`, `#` or whitespace.
    public static func isPathSegment(_ text: String) -> Bool {
        !text.isEmpty && !text.contains("/") && !text.contains("?") && !text.contains("#") && !text.contains(where: \.isWhitespace)
    }

    /// The webhook checks these settings key: the verify token and the app secret.
    public var verifier: MetaWebhookVerifier {
        MetaWebhookVerifier(verifyToken: verifyToken, appSecret: appSecret)
    }

    /// The Graph client these settings describe: 15 s a call, 64 KiB answers, and
    /// `appsecret_proof` when asked for.
    public func makeClient(http: any HTTPTransport) -> GraphAPIClient {
        GraphAPIClient(http: http, baseURL: graphBaseURL, apiVersion: apiVersion, accessToken: accessToken,
                       timeout: .seconds(15), maxResponseBytes: 64 * 1024, appSecretProofKey: appSecretProof ? appSecret : nil)
    }
}

extension String {
    /// The string without leading and trailing whitespace.
    package var trimmingWhitespace: String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
