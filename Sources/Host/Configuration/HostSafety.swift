import ChannelKit

/// The rules that keep a host from pretending on a live deployment: each channel's
/// ``ChannelMode``, and the combinations of settings a host refuses to start with.
///
/// `sandra serve` refuses to start and `sandra check-config` exits non-zero on any
/// ``problems(of:modes:)``:
/// - a live channel with the echo assistant that nobody chose explicitly
///   (``AssistantConfiguration/isTypeExplicit``): customers would get "You said: …";
/// - a live channel with identity linking and the development mailer that nobody chose
///   (`identity.email.development_mailer`): people would be told an email was sent that only
///   reached the log;
/// - a sandbox channel on a non-loopback `server.host` without `server.public_sandbox`:
///   anyone could sign webhooks with the public development secret.
enum HostSafety {
    /// The mode of each enabled channel, by name.
    /// - Parameter channels: the channels with their effective settings (portal values applied).
    static func modes(of channels: [ChannelConfiguration]) -> [String: ChannelMode] {
        let enabled = channels.filter(\.enabled)
        let hasLiveChannel = enabled.contains { hasCredentials($0) && $0.sandbox != .on }
        var modes: [String: ChannelMode] = [:]
        for channel in enabled {
            modes[channel.name] = mode(of: channel, hostHasLiveChannel: hasLiveChannel)
        }
        return modes
    }

    /// The mode of one channel, given whether another channel of the host is live.
    static func mode(of channel: ChannelConfiguration, hostHasLiveChannel: Bool) -> ChannelMode {
        switch channel.sandbox {
        case .on: .sandbox
        case .off: hasCredentials(channel) ? .live : .off
        case .auto: hasCredentials(channel) ? .live : (hostHasLiveChannel ? .off : .sandbox)
        }
    }

    /// Whether a channel has the credential that lets it talk to its platform: an access token.
    static func hasCredentials(_ channel: ChannelConfiguration) -> Bool {
        !channel.settings.string("access_token").isEmpty
    }

    /// What makes a host with these channel modes unsafe to start, one sentence each; empty
    /// when it may start.
    static func problems(of configuration: HostConfiguration, modes: [String: ChannelMode]) -> [String] {
        let live = configuration.channels.map(\.name).filter { modes[$0] == .live }
        let sandboxes = configuration.channels.map(\.name).filter { modes[$0] == .sandbox }
        var problems: [String] = []
        if let first = live.first, configuration.assistant.type == .echo, !configuration.assistant.isTypeExplicit {
            problems.append(
                "channel '\(first)' is live (it talks to the real Graph API) but the assistant is the embedded echo, "
                    + "which answers \"You said: …\": set SANDRA_ASSISTANT=openai with OPENAI_API_KEY (and OPENAI_BASE_URL, "
                    + "OPENAI_MODEL), or choose the echo on purpose with `assistant: { type: echo }` or SANDRA_ASSISTANT=echo")
        }
        let email = configuration.identity.email
        if let first = live.first, configuration.identity.enabled, !email.usesSMTP, !email.developmentMailer {
            problems.append(
                "channel '\(first)' is live and identity linking is on, but no SMTP server is configured: the development "
                    + "mailer would tell people a code was emailed while it only goes to this log; set identity.email.smtp_url "
                    + "(SANDRA_SMTP_URL) and from (SANDRA_MAIL_FROM), turn identity linking off (SANDRA_IDENTITY_ENABLED=false), "
                    + "or choose the development mailer on purpose (identity.email.development_mailer: true)")
        }
        if let first = sandboxes.first, !configuration.server.isLoopback, !configuration.server.publicSandbox {
            problems.append(
                "channel '\(first)' runs in sandbox mode, whose webhooks are signed with a public development secret, "
                    + "but server.host '\(configuration.server.host)' is not a loopback address: give the channel its "
                    + "credentials, turn it off (enabled: false), bind 127.0.0.1, or allow it with server.public_sandbox: true")
        }
        return problems
    }

    /// The mailer in a few words, for the banner, `check-config` and the status page.
    static func mailerSummary(_ configuration: HostConfiguration) -> String {
        guard configuration.identity.enabled else { return "none (identity linking is off)" }
        return configuration.identity.email.usesSMTP ? "SMTP" : "development mailer (emails go to the log)"
    }

    /// The assistant in a few words: `echo` or `openai (model)`.
    static func assistantSummary(_ assistant: AssistantConfiguration) -> String {
        switch assistant.type {
        case .echo: "echo"
        case .openai: "openai (\(assistant.model))"
        }
    }
}
