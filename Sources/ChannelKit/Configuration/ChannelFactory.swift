import Logging

/// Makes channels of one type (`instagram`) from their settings.
///
/// A channel target declares a factory and a static member so that the host registers it in
/// one line:
///
/// ```swift
/// var registry = ChannelRegistry()
/// registry.register(.instagram)
/// ```
public protocol ChannelFactory: Sendable {
    /// The `type:` value in `channels.yaml`.
    var type: String { get }
    /// The keys this type accepts, besides the common ones every channel has.
    var settingFields: [SettingField] { get }
    /// The platform's name for people (`Instagram`, `WhatsApp`); the admin portal calls a
    /// channel "<display name> Channel". The default capitalizes ``type``.
    var displayName: String { get }
    /// Makes a channel.
    /// - Parameters:
    ///   - name: the configured name, also the webhook path component.
    ///   - settings: validated values of ``settingFields``.
    ///   - context: process-wide resources the host lends.
    /// - Throws: ``ChannelError`` with code `.misconfigured` for settings that do not fit together.
    func makeChannel(name: String, settings: ChannelSettings, context: ChannelContext) throws -> any Channel

    /// What is wrong with `value` for the setting `key`, beyond its field's kind (a template
    /// name the platform would not take), in one line without the value if the field is
    /// secret; `nil` when it is fine. The host reports it with the file, line and key. The
    /// default finds nothing wrong.
    func problem(with value: String, forKey key: String) -> String?
}

extension ChannelFactory {
    /// The type, capitalized: `instagram` → `Instagram`.
    public var displayName: String { type.prefix(1).uppercased() + type.dropFirst() }

    /// Nothing wrong beyond the field's kind.
    public func problem(with value: String, forKey key: String) -> String? { nil }
}

/// What the host lends a channel.
public struct ChannelContext: Sendable {
    /// Outbound HTTP (the host's one client).
    public var http: any HTTPTransport
    /// A logger carrying the channel's name.
    public var logger: Logger
    /// The host's own base URL as reachable from this process (`http://127.0.0.1:8080`),
    /// used by sandboxes to post webhooks to the real route.
    public var localBaseURL: String
    /// Whether the channel runs against its local sandbox instead of the platform.
    public var sandboxMode: Bool

    /// Creates a context.
    public init(http: any HTTPTransport, logger: Logger, localBaseURL: String, sandboxMode: Bool) {
        self.http = http
        self.logger = logger
        self.localBaseURL = localBaseURL
        self.sandboxMode = sandboxMode
    }

    /// The path the host mounts the channel's webhook at.
    public static func webhookPath(for name: String) -> String { "/api/channels/\(name)" }
    /// The path the host mounts the channel's sandbox at.
    public static func sandboxPath(for name: String) -> String { "/sandbox/\(name)" }
}
