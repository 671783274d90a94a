import ChannelIdentity
import ChannelKit
import Foundation
import Hummingbird
import Logging
import NIOCore

/// `/admin`: the server-rendered admin portal.
///
/// | Route | What |
/// |-------|------|
/// | `GET /admin/login`, `POST /admin/login` | The login form; a success sets the session cookie. |
/// | `POST /admin/logout` | Ends the session. |
/// | `GET /admin/channels` | Every channel's state. |
/// | `GET /admin/settings` | Settings → one link per channel ("Instagram Channel"). |
/// | `GET /admin/channels/<name>` | Status: callback URL, verify token, last webhook, counts, queue depth. |
/// | `POST /admin/channels/<name>/test` | Test connection. |
/// | `POST /admin/channels/<name>/subscribe` | Subscribe the app to the account's webhooks (`subscribed_apps`). |
/// | `GET`, `POST /admin/channels/<name>/settings` | The settings form; a save applies at once. |
/// | `GET /admin/identities`, `POST /admin/identities/unlink` | Identity links. |
///
/// Every page but the login needs a session; every form carries the session's CSRF token
/// (the login form a token bound to a short-lived cookie), and a POST whose `Origin` is
/// another site is refused. Cookies are `HttpOnly`, `SameSite=Strict` and `Secure`
/// (`admin.cookie_secure`).
struct AdminRoutes {
    let runtime: HostRuntime
    private let pages = AdminPages()
    private var service: AdminService { AdminService(runtime: runtime) }
    private var sessions: AdminSessions { runtime.adminSessions }

    /// The session cookie.
    static let sessionCookie = "sandra_admin"
    /// The login form's CSRF cookie.
    static let loginCookie = "sandra_login"
    /// The largest form accepted.
    static let maxFormBytes = 64 << 10

    init(runtime: HostRuntime) {
        self.runtime = runtime
    }

    func register(on router: Router<HostRequestContext>) {
        router.get("admin") { _, _ in AdminResponses.redirect("/admin/channels") }
        router.get("admin/login") { request, _ in loginPage(problem: nil, status: .ok) }
        router.post("admin/login") { request, context in try await logIn(request, context: context) }
        router.post("admin/logout") { request, context in
            try await withForm(request, context: context) { _, _ in
                if let token = request.cookies[Self.sessionCookie]?.value { try await sessions.logOut(token: token) }
                return AdminResponses.redirect("/admin/login", cookies: [expired(Self.sessionCookie, path: "/admin")])
            }
        }
        router.get("admin/channels") { request, context in
            try await withSession(request) { session in
                let reports = try await service.reports(baseURL: service.baseURL(for: request))
                return page("channels", title: "Channels", ["channels": reports], session: session)
            }
        }
        router.get("admin/settings") { request, context in
            try await withSession(request) { session in
                let reports = try await service.reports(baseURL: service.baseURL(for: request))
                return page("settings-index", title: "Settings", ["channels": reports], session: session)
            }
        }
        router.get("admin/channels/{name}") { request, context in
            try await withSession(request) { session in
                try await statusPage(request, context: context, session: session, test: nil)
            }
        }
        router.post("admin/channels/{name}/test") { request, context in
            try await withForm(request, context: context) { session, _ in
                let name = try context.parameters.require("name")
                guard let test = await service.testConnection(name, logger: context.logger) else { return notFound(session) }
                return try await statusPage(request, context: context, session: session, test: test)
            }
        }
        router.post("admin/channels/{name}/subscribe") { request, context in
            try await withForm(request, context: context) { session, _ in
                let name = try context.parameters.require("name")
                guard let subscription = await service.subscribeWebhooks(name, logger: context.logger) else { return notFound(session) }
                return try await statusPage(request, context: context, session: session, test: nil, subscription: subscription)
            }
        }
        router.get("admin/channels/{name}/settings") { request, context in
            try await withSession(request) { session in
                let notice = request.uri.queryParameters.get("saved") != nil
                    ? "Saved. The channel now serves with these settings." : nil
                return try await settingsPage(request, context: context, session: session, notice: notice, problems: [:], typed: [:])
            }
        }
        router.post("admin/channels/{name}/settings") { request, context in
            try await withForm(request, context: context) { session, form in
                try await saveSettings(request, context: context, session: session, form: form)
            }
        }
        router.get("admin/identities") { request, _ in
            try await withSession(request) { session in
                let notice = request.uri.queryParameters.get("unlinked") != nil ? "Unlinked." : nil
                var values: [String: Any] = ["links": try await service.links(), "limit": AdminService.linkLimit]
                if let notice { values["notice"] = notice }
                return page("identities", title: "Identity links", values, session: session)
            }
        }
        router.post("admin/identities/unlink") { request, context in
            try await withForm(request, context: context) { session, form in
                guard let channel = form["channel"], let userID = form["user_id"], !channel.isEmpty, !userID.isEmpty else {
                    return errorPage("Bad request", "The form lacks the channel or the user id.", status: .badRequest, session: session)
                }
                _ = try await service.unlink(channel: channel, userID: userID)
                return AdminResponses.redirect("/admin/identities?unlinked=1")
            }
        }
        router.get("admin/conversations") { request, _ in
            try await withSession(request) { session in
                let notice: String? = switch (request.uri.queryParameters.get("resumed"), request.uri.queryParameters.get("control")) {
                case (.some, _): "Resumed: Sandra answers the next message there."
                case (_, "taken"): "The thread is this app's again: Sandra answers the next message there."
                case (_, "requested"): "Asked the app that owns the thread to pass it; Sandra answers once it does."
                default: nil
                }
                var values: [String: Any] = ["conversations": try await service.conversations(), "limit": AdminService.conversationLimit]
                if let notice { values["notice"] = notice }
                return page("conversations", title: "Conversations", values, session: session)
            }
        }
        router.post("admin/conversations/resume") { request, context in
            try await withForm(request, context: context) { session, form in
                guard let conversation = form.conversation else {
                    return errorPage("Bad request", "The form lacks the channel, the account or the user id.", status: .badRequest, session: session)
                }
                _ = try await service.resume(conversation)
                return AdminResponses.redirect("/admin/conversations?resumed=1")
            }
        }
        router.post("admin/conversations/control") { request, context in
            try await withForm(request, context: context) { session, form in
                guard let conversation = form.conversation else {
                    return errorPage("Bad request", "The form lacks the channel, the account or the user id.", status: .badRequest, session: session)
                }
                do {
                    let outcome = try await service.requestControl(conversation)
                    return AdminResponses.redirect("/admin/conversations?control=\(outcome.rawValue)")
                } catch let error as ChannelKit.ChannelError {
                    return errorPage("Refused", "The platform refused: \(error.message)", status: .badGateway, session: session)
                } catch is AdminService.ControlRefusal {
                    return errorPage("Not possible", "This channel's platform routes no conversations between apps.", status: .conflict, session: session)
                }
            }
        }
        AdminAPIRoutes(service: service, sessions: sessions).register(on: router)
    }

    // MARK: - Login

    private func loginPage(problem: String?, status: HTTPResponse.Status, extra: HTTPFields = [:]) -> Response {
        let token = AdminSessions.randomToken()
        let body = pages.render("login", title: "Log in",
                                context: ["enabled": sessions.loginEnabled, "csrf": token, "problem": problem ?? false], csrf: nil)
        return AdminResponses.html(body, status: sessions.loginEnabled ? status : .serviceUnavailable,
                                   cookies: [cookie(Self.loginCookie, token, path: "/admin/login", maxAge: 3600)], extra: extra)
    }

    private func logIn(_ request: Request, context: HostRequestContext) async throws -> Response {
        guard sessions.loginEnabled else { return loginPage(problem: nil, status: .serviceUnavailable) }
        let form = try await readForm(request)
        guard let form else { return loginPage(problem: "The form could not be read.", status: .badRequest) }
        let client = sessions.clients.address(of: request, context: context)
        guard isSameOrigin(request),
              let expected = request.cookies[Self.loginCookie]?.value, let given = form["csrf"],
              LinkCode.constantTimeEqual(Array(expected.utf8), Array(given.utf8)) else {
            context.logger.warning("admin login refused: missing or wrong form token", metadata: ["client": "\(client)"])
            return loginPage(problem: "The login form expired; please try again.", status: .forbidden)
        }
        switch try await sessions.logIn(password: form["password"] ?? "", client: client) {
        case .success(let token):
            context.logger.notice("admin logged in", metadata: ["client": "\(client)"])
            return AdminResponses.redirect("/admin/channels", cookies: [
                cookie(Self.sessionCookie, token, path: "/admin", maxAge: runtime.configuration.admin.sessionMaxHours * 3600),
                expired(Self.loginCookie, path: "/admin/login"),
            ])
        case .wrongPassword(let remaining):
            context.logger.warning("admin login failed: wrong password", metadata: ["client": "\(client)", "tries_left": "\(remaining)"])
            return loginPage(problem: "Wrong password. \(remaining) \(remaining == 1 ? "try" : "tries") left before a lockout.",
                             status: .unauthorized)
        case .lockedOut(let until):
            context.logger.warning("admin login refused: locked out after repeated failures",
                                   metadata: ["client": "\(client)", "until": "\(SettingOrigin.format(until))"])
            return loginPage(problem: "Too many failed logins. Try again after \(SettingOrigin.format(until)).", status: .tooManyRequests,
                             extra: [.retryAfter: AdminSessions.retryAfter(until)])
        }
    }

    // MARK: - Pages

    private func statusPage(_ request: Request, context: HostRequestContext, session: AdminSessions.Session,
                            test: AdminService.ConnectionTest?, subscription: AdminService.SubscriptionResult? = nil) async throws -> Response {
        let name = try context.parameters.require("name")
        guard let report = try await service.report(name, baseURL: service.baseURL(for: request)) else { return notFound(session) }
        var values: [String: Any] = ["report": report]
        if let test { values["test"] = test }
        if let subscription { values["subscription"] = subscription }
        return page("status", title: "\(report.displayName) Channel", values, session: session)
    }

    private func settingsPage(_ request: Request, context: HostRequestContext, session: AdminSessions.Session, notice: String?,
                              problems: [String: String], typed: [String: String], status: HTTPResponse.Status = .ok) async throws -> Response {
        let name = try context.parameters.require("name")
        guard var report = try await service.report(name, baseURL: service.baseURL(for: request)) else { return notFound(session) }
        report.settings = report.settings.map { setting in
            var setting = setting
            setting.problem = problems[setting.key]
            if !setting.secret, let value = typed[setting.key] { setting.value = value }
            return setting
        }
        var problem = problems[""]
        if problem == nil, !problems.isEmpty { problem = "Nothing was saved: fix the fields marked below." }
        var values: [String: Any] = ["report": report]
        if let notice { values["notice"] = notice }
        if let problem { values["problem"] = problem }
        return page("settings", title: "Settings → \(report.displayName) Channel", values, session: session, status: status)
    }

    private func saveSettings(_ request: Request, context: HostRequestContext, session: AdminSessions.Session,
                              form: AdminForm) async throws -> Response {
        let name = try context.parameters.require("name")
        var change = ChannelSupervisor.Change()
        for (field, value) in form.fields where field != "csrf" && field != "reset" {
            change.values[field] = value
        }
        change.reset = Set(form.all("reset"))
        do {
            _ = try await runtime.supervisor.reconfigure(name, change)
        } catch let refusal as ChannelSupervisor.Refusal {
            if refusal.status == 404 { return notFound(session) }
            let typed = change.values
            return try await settingsPage(request, context: context, session: session, notice: nil, problems: refusal.problems,
                                          typed: typed, status: HTTPResponse.Status(code: refusal.status))
        }
        return AdminResponses.redirect("/admin/channels/\(name)/settings?saved=1")
    }

    private func page(_ template: String, title: String, _ values: [String: Any], session: AdminSessions.Session,
                      status: HTTPResponse.Status = .ok) -> Response {
        var values = values
        values["csrf"] = session.csrfToken
        return AdminResponses.html(pages.render(template, title: title, context: values, csrf: session.csrfToken), status: status)
    }

    private func errorPage(_ title: String, _ message: String, status: HTTPResponse.Status, session: AdminSessions.Session?) -> Response {
        AdminResponses.html(pages.render("error", title: title, context: ["title": title, "message": message], csrf: session?.csrfToken),
                            status: status)
    }

    private func notFound(_ session: AdminSessions.Session) -> Response {
        errorPage("Not found", "No such channel.", status: .notFound, session: session)
    }

    // MARK: - Sessions, forms, cookies

    /// Runs `body` for a logged-in request; others go to the login page.
    private func withSession(_ request: Request, _ body: (AdminSessions.Session) async throws -> Response) async throws -> Response {
        guard let token = request.cookies[Self.sessionCookie]?.value, let session = try await sessions.session(token: token) else {
            return AdminResponses.redirect("/admin/login")
        }
        return try await body(session)
    }

    /// Runs `body` for a logged-in POST whose form carries the session's CSRF token.
    private func withForm(_ request: Request, context: HostRequestContext,
                          _ body: (AdminSessions.Session, AdminForm) async throws -> Response) async throws -> Response {
        guard let token = request.cookies[Self.sessionCookie]?.value, let session = try await sessions.session(token: token) else {
            return AdminResponses.redirect("/admin/login")
        }
        guard let form = try await readForm(request) else {
            return errorPage("Bad request", "The form could not be read.", status: .badRequest, session: session)
        }
        guard isSameOrigin(request), let given = form["csrf"], sessions.isValidCSRF(given, for: session) else {
            context.logger.warning("admin form refused: missing or wrong CSRF token",
                                   metadata: ["client": "\(sessions.clients.address(of: request, context: context))"])
            return errorPage("Form expired", "The form expired or came from another site; reload the page and try again.",
                             status: .forbidden, session: session)
        }
        return try await body(session, form)
    }

    /// The form body, or `nil` when it is not a form.
    private func readForm(_ request: Request) async throws -> AdminForm? {
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/x-www-form-urlencoded") { return nil }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Self.maxFormBytes)
        } catch is NIOTooManyBytesError {
            throw HTTPError(.contentTooLarge, message: "form over \(Self.maxFormBytes) bytes")
        }
        return AdminForm(body: Array(buffer: buffer))
    }

    /// Whether a browser's request comes from this host's own pages (see ``SameOriginPolicy``).
    private func isSameOrigin(_ request: Request) -> Bool {
        SameOriginPolicy(publicBaseURL: runtime.configuration.admin.publicBaseURL).allows(request)
    }

    private func cookie(_ name: String, _ value: String, path: String, maxAge: Int) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: path, secure: runtime.configuration.admin.cookieSecure, httpOnly: true,
               sameSite: .strict)
    }

    private func expired(_ name: String, path: String) -> Cookie {
        Cookie(name: name, value: "", maxAge: 0, path: path, secure: runtime.configuration.admin.cookieSecure, httpOnly: true,
               sameSite: .strict)
    }
}
