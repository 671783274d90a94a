import ChannelKit
import Foundation
import MetaPlatform

/// What the admin portal and its API show of one channel: state, counts, and every setting
/// with where its value comes from — secrets only as "set" or "not set".
struct AdminChannelReport: Encodable, Sendable {
    /// One setting.
    struct Setting: Encodable, Sendable {
        let key: String
        let label: String
        let help: String
        let kind: String
        let secret: Bool
        /// Whether the setting has a non-empty value.
        let isSet: Bool
        /// The value, for settings that are not secret; `nil` for secrets.
        var value: String?
        /// `portal`, `environment`, `channels.yaml` or `default`.
        let origin: String
        /// For people: `environment (INSTAGRAM_ACCESS_TOKEN)`.
        let originLabel: String
        /// Whether the portal holds a value that can be removed.
        let fromPortal: Bool
        /// The input's type in the form (stored: templates see stored properties only).
        let inputType: String
        /// A problem with what was typed, shown next to the field.
        var problem: String?

        init(key: String, label: String, help: String, kind: String, secret: Bool, isSet: Bool, value: String?, origin: String,
             originLabel: String, fromPortal: Bool, problem: String? = nil) {
            self.key = key
            self.label = label
            self.help = help
            self.kind = kind
            self.secret = secret
            self.isSet = isSet
            self.value = value
            self.origin = origin
            self.originLabel = originLabel
            self.fromPortal = fromPortal
            self.inputType = secret ? "password" : (kind == "integer" ? "number" : (kind == "url" ? "url" : "text"))
            self.problem = problem
        }

        enum CodingKeys: String, CodingKey {
            case key, label, help, kind, secret, isSet = "set", value, origin, originLabel = "origin_label", fromPortal = "from_portal"
        }
    }

    /// Inbox counts.
    struct Counts: Encodable, Sendable {
        let received: Int
        let answered: Int
        let failed: Int
        let dead: Int
        let expired: Int
        let ignored: Int
        /// Waiting or being answered: received, processing and failed (retry pending).
        let queueDepth: Int

        enum CodingKeys: String, CodingKey {
            case received, answered, failed, dead, expired, ignored, queueDepth = "queue_depth"
        }

        init(_ states: [InboxState: Int]) {
            received = states.values.reduce(0, +)
            answered = states[.done] ?? 0
            failed = states[.failed] ?? 0
            dead = states[.dead] ?? 0
            expired = states[.expired] ?? 0
            ignored = states[.ignored] ?? 0
            queueDepth = (states[.received] ?? 0) + (states[.processing] ?? 0) + (states[.failed] ?? 0)
        }
    }

    let name: String
    let type: String
    let displayName: String
    /// `starting`, `ready`, `unauthorized` or `degraded`.
    let state: String
    let isReady: Bool
    let isUnauthorized: Bool
    /// What is wrong, when something is.
    let detail: String?
    let sandbox: Bool
    /// `live` or `sandbox` (off channels are not served, so have no report).
    let mode: String
    /// The Graph API version a live channel calls (`api_version`), when the type has one.
    let apiVersion: String?
    /// The version with its expiry (`v27.0 (no expiry announced)`), when the type has one.
    let apiVersionSummary: String?
    /// The access token's expiry and refreshes, for a channel whose token the host refreshes.
    let token: Token?
    /// Whether the portal can subscribe the app to the account's webhooks.
    let subscribesWebhooks: Bool
    /// The assistant that answers, in a few words (``HostSafety/assistantSummary(_:)``).
    var assistant = ""
    /// The mailer identity linking uses, in a few words (``HostSafety/mailerSummary(_:)``).
    var mailer = ""
    /// The URL to paste into the platform's webhook form.
    let callbackURL: String
    let verifyTokenSet: Bool
    /// Whether the channel type has a verify token at all.
    let hasVerifyToken: Bool
    let lastWebhook: String?
    let lastHandshake: String?
    let reconfiguredAt: String?
    let counts: Counts
    var settings: [Setting]

    /// A refreshing token, for people and for the API.
    struct Token: Encodable, Sendable {
        /// When it expires (`2027-02-05 09:00:00 UTC`); `nil` while unknown.
        let expiresAt: String?
        let expiryEstimated: Bool
        let refreshedAt: String?
        let refreshError: String?
        let refreshFailedAt: String?

        enum CodingKeys: String, CodingKey {
            case expiresAt = "expires_at", expiryEstimated = "expiry_estimated", refreshedAt = "refreshed_at"
            case refreshError = "refresh_error", refreshFailedAt = "refresh_failed_at"
        }

        init(_ status: TokenStatus) {
            expiresAt = status.expiresAt.map(SettingOrigin.format)
            expiryEstimated = status.expiryEstimated
            refreshedAt = status.refreshedAt.map(SettingOrigin.format)
            refreshError = status.lastError
            refreshFailedAt = status.failedAt.map(SettingOrigin.format)
        }
    }

    enum CodingKeys: String, CodingKey {
        case name, type, displayName = "display_name", state, detail, sandbox, mode, apiVersion = "api_version", assistant, mailer
        case apiVersionSummary = "api_version_summary"
        case token, subscribesWebhooks = "subscribes_webhooks"
        case callbackURL = "callback_url"
        case verifyTokenSet = "verify_token_set", lastWebhook = "last_webhook", lastHandshake = "last_handshake"
        case reconfiguredAt = "reconfigured_at", counts, settings
    }

    /// The report of a served channel.
    /// - Parameters:
    ///   - baseURL: the host's public URL, without a trailing slash.
    init(_ mounted: ChannelSupervisor.Mounted, status: ChannelStatusBoard.Entry?, statusBoard: ChannelStatusBoard,
         counts: [InboxState: Int], baseURL: String) {
        let configuration = mounted.configuration
        name = configuration.name
        type = configuration.type
        displayName = mounted.displayName
        let reported: (state: ChannelStatusBoard.State, detail: String?) = status.map { statusBoard.reportedState(of: $0) } ?? (.starting, nil)
        state = reported.state.rawValue
        isReady = reported.state == .ready
        isUnauthorized = reported.state == .unauthorized
        detail = reported.detail
        sandbox = mounted.sandboxMode
        mode = mounted.mode.rawValue
        let version = configuration.settings.string("api_version")
        apiVersion = version.isEmpty ? nil : version
        apiVersionSummary = version.isEmpty ? nil : GraphAPIVersions.summary(of: version)
        token = status?.token.map(Token.init)
        subscribesWebhooks = !mounted.sandboxMode && mounted.channel is any WebhookSubscribing
        callbackURL = baseURL + ChannelContext.webhookPath(for: configuration.name)
        hasVerifyToken = configuration.fields.contains { $0.key == "verify_token" }
        verifyTokenSet = !configuration.settings.string("verify_token").isEmpty
        lastWebhook = status?.lastWebhook.map(SettingOrigin.format)
        lastHandshake = status?.lastHandshake.map(SettingOrigin.format)
        reconfiguredAt = status?.reconfiguredAt.map(SettingOrigin.format)
        self.counts = Counts(counts)
        settings = configuration.fields.map { field in
            let value = configuration.settings.string(field.key)
            let origin = mounted.origins[field.key] ?? .fieldDefault
            return Setting(key: field.key, label: field.label, help: field.help, kind: field.kind.rawValue, secret: field.isSecret,
                           isSet: !value.isEmpty, value: field.isSecret ? nil : value, origin: origin.kind, originLabel: origin.label,
                           fromPortal: origin.isPortal)
        }
    }
}
