import ChannelKit
import Foundation
import Hummingbird
import Logging

/// What the admin portal and its JSON API do, shared by both: channel reports, settings
/// changes, connection tests and identity links.
struct AdminService: Sendable {
    let runtime: HostRuntime

    /// The result of "Test connection".
    struct ConnectionTest: Encodable, Sendable {
        let ok: Bool
        /// `!ok`, stored so that templates see it.
        let failed: Bool
        let account: String?
        let accountID: String?
        /// The error, with the platform's code when it gave one.
        let error: String?
        /// What the error means and what to do.
        let meaning: String?

        enum CodingKeys: String, CodingKey {
            case ok, account, accountID = "account_id", error, meaning
        }

        init(ok: Bool, account: String?, accountID: String?, error: String?, meaning: String?) {
            self.ok = ok
            self.failed = !ok
            self.account = account
            self.accountID = accountID
            self.error = error
            self.meaning = meaning
        }
    }

    /// The result of "Subscribe to webhooks".
    struct SubscriptionResult: Encodable, Sendable {
        let ok: Bool
        /// `!ok`, stored so that templates see it.
        let failed: Bool
        let account: String?
        let fields: [String]
        /// `fields`, comma-separated, for the page.
        let fieldList: String
        let error: String?
        let meaning: String?

        enum CodingKeys: String, CodingKey {
            case ok, account, fields, error, meaning
        }

        init(ok: Bool, account: String? = nil, fields: [String] = [], error: String? = nil, meaning: String? = nil) {
            self.ok = ok
            self.failed = !ok
            self.account = account
            self.fields = fields
            self.fieldList = fields.joined(separator: ", ")
            self.error = error
            self.meaning = meaning
        }
    }

    /// One identity link, for people and for the API.
    struct Link: Encodable, Sendable {
        let channel: String
        let userID: String
        let email: String
        let profileID: String
        let linkedAt: String

        enum CodingKeys: String, CodingKey {
            case channel, userID = "user_id", email, profileID = "profile_id", linkedAt = "linked_at"
        }
    }

    /// The most links listed.
    static let linkLimit = 500

    /// The host's public URL, without a trailing slash: `admin.public_base_url`, else the
    /// request's scheme (`X-Forwarded-Proto` behind a proxy) and host.
    func baseURL(for request: Request) -> String {
        request.publicBaseURL(configured: runtime.configuration.admin.publicBaseURL,
                              fallbackHost: "\(runtime.configuration.server.host):\(runtime.configuration.server.port)")
    }

    /// Every served channel's report.
    func reports(baseURL: String) async throws -> [AdminChannelReport] {
        let counts = try await runtime.store.countsByChannel()
        return runtime.supervisor.all.map { mounted in
            makeReport(mounted, counts: counts[mounted.configuration.name] ?? [:], baseURL: baseURL)
        }
    }

    /// A served channel's report, with the host's assistant and mailer.
    private func makeReport(_ mounted: ChannelSupervisor.Mounted, counts: [InboxState: Int], baseURL: String) -> AdminChannelReport {
        var report = AdminChannelReport(mounted, status: runtime.status.entry(for: mounted.configuration.name), statusBoard: runtime.status,
                                        counts: counts, baseURL: baseURL)
        report.assistant = HostSafety.assistantSummary(runtime.configuration.assistant)
        report.mailer = HostSafety.mailerSummary(runtime.configuration)
        return report
    }

    /// One channel's report, or `nil` when no channel has that name.
    func report(_ name: String, baseURL: String) async throws -> AdminChannelReport? {
        guard let mounted = runtime.supervisor.channel(named: name) else { return nil }
        let counts = try await runtime.store.countsByChannel()
        return makeReport(mounted, counts: counts[name] ?? [:], baseURL: baseURL)
    }

    /// Asks the platform whom the channel's credentials belong to.
    func testConnection(_ name: String, logger: Logger) async -> ConnectionTest? {
        guard let mounted = runtime.supervisor.channel(named: name) else { return nil }
        do {
            guard let check = try await mounted.channel.checkConnection(logger: logger) else {
                return ConnectionTest(ok: false, account: nil, accountID: nil, error: "\(mounted.displayName) channels have no connection test",
                                      meaning: nil)
            }
            return ConnectionTest(ok: true, account: check.account, accountID: check.accountID, error: nil, meaning: nil)
        } catch let error as ChannelKit.ChannelError {
            if error.code == .unauthorized {
                runtime.status.markUnauthorized(channel: name, detail: error.description)
            }
            return ConnectionTest(ok: false, account: nil, accountID: nil, error: error.description, meaning: Self.meaning(of: error))
        } catch {
            return ConnectionTest(ok: false, account: nil, accountID: nil, error: "the platform could not be reached (\(type(of: error)))",
                                  meaning: "Check the Graph API base URL and this host's outbound network.")
        }
    }

    /// Subscribes the app to the channel's account's webhooks; `nil` when no channel has that name.
    func subscribeWebhooks(_ name: String, logger: Logger) async -> SubscriptionResult? {
        guard let mounted = runtime.supervisor.channel(named: name) else { return nil }
        guard !mounted.sandboxMode, let subscribing = mounted.channel as? any WebhookSubscribing else {
            return SubscriptionResult(ok: false, error: mounted.sandboxMode ? "a channel in sandbox mode has no platform account to subscribe"
                : "\(mounted.displayName) channels have no webhook subscription call")
        }
        do {
            let subscription = try await subscribing.subscribeWebhooks(logger: logger)
            runtime.logger.notice("app subscribed to the account's webhooks", metadata: ["channel": "\(name)", "account": "\(subscription.account)"])
            return SubscriptionResult(ok: true, account: subscription.account, fields: subscription.fields)
        } catch let error as ChannelKit.ChannelError {
            return SubscriptionResult(ok: false, error: error.description, meaning: Self.meaning(of: error))
        } catch {
            return SubscriptionResult(ok: false, error: "the platform could not be reached (\(type(of: error)))",
                                      meaning: "Check the Graph API base URL and this host's outbound network.")
        }
    }

    /// What an error from the platform means for the operator.
    static func meaning(of error: ChannelKit.ChannelError) -> String {
        switch error.code {
        case .unauthorized:
            "The access token was refused: it expired, was revoked, or belongs to another app. Paste a new one in Settings."
        case .transient:
            "The platform is unavailable or limiting calls right now; try again in a minute."
        case .permanent:
            "The platform refused the call: check the account or phone number id and the token's permissions."
        case .misconfigured:
            "The channel's settings do not fit together; check them in Settings."
        default:
            "The platform refused the call."
        }
    }

    /// The most recent identity links.
    func links() async throws -> [Link] {
        try await runtime.store.links(limit: Self.linkLimit).map { link in
            Link(channel: link.identity.channel, userID: link.identity.userID, email: link.profile.email, profileID: link.profile.id,
                 linkedAt: SettingOrigin.format(link.linkedAt))
        }
    }

    /// Removes a link; `false` when there was none.
    func unlink(channel: String, userID: String) async throws -> Bool {
        let removed = try await runtime.store.unlink(ChannelIdentity(channel: channel, userID: userID), at: Date()) != nil
        if removed {
            runtime.logger.notice("identity unlinked by an operator", metadata: ["channel": "\(channel)"])
        }
        return removed
    }
}
