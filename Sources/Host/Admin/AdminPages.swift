import Mustache

/// The admin portal's pages: Mustache templates compiled once, rendered with HTML escaping.
///
/// Every value goes through `{{…}}`, which escapes it; only the layout's `{{{body}}}` takes
/// markup, and that markup is a rendered page. No page needs JavaScript.
struct AdminPages: Sendable {
    private let library: MustacheLibrary

    init() {
        var library = MustacheLibrary()
        for (name, text) in Self.templates {
            // The templates are constants of this file; a syntax error is a programming error
            // that every admin route test would show.
            guard let template = try? MustacheTemplate(string: text) else { preconditionFailure("admin template \(name) does not parse") }
            library.register(template, named: name)
        }
        self.library = library
    }

    /// Renders `page` inside the layout.
    /// - Parameters:
    ///   - page: a template name.
    ///   - title: the page title.
    ///   - context: the page's values.
    ///   - csrf: the session's CSRF token for the log-out form; `nil` on the login page.
    func render(_ page: String, title: String, context: Any, csrf: String?) -> String {
        let body = library.render(context, withTemplate: page) ?? ""
        return library.render(Layout(title: title, body: body, csrf: csrf), withTemplate: "layout") ?? body
    }

    private struct Layout {
        let title: String
        let body: String
        let csrf: String?
    }

    static let templates: [String: String] = [
        "layout": """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{title}} · Sandra admin</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:0;color:#1d1d1f;background:#f5f5f7}
            header{background:#1d1d1f;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:center;flex-wrap:wrap}
            header a{color:#fff}header form{margin-left:auto}
            main{max-width:60rem;margin:1.2rem auto;padding:0 1.2rem}
            section{background:#fff;border-radius:8px;padding:1rem 1.2rem;margin-bottom:1rem}
            table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}
            label{font-weight:600;display:block}input[type=text],input[type=password],input[type=url],input[type=number]{width:100%;max-width:32rem;padding:.4rem;font:inherit}
            .field{margin:1rem 0}.help,.origin{color:#555;font-size:.9rem;margin:.2rem 0}
            .problem,.error{color:#b00020;font-weight:600}.notice{color:#0a6b2b;font-weight:600}
            .state-ready{color:#0a6b2b}.state-unauthorized{color:#b00020}.state-starting{color:#8a5a00}
            code{background:#eee;padding:.1rem .3rem;border-radius:4px;word-break:break-all}
            button{font:inherit;padding:.4rem .9rem}
            </style>
            </head>
            <body>
            <header>
            <strong>Sandra admin</strong>
            {{#csrf}}
            <a href="/admin/channels">Channels</a>
            <a href="/admin/settings">Settings</a>
            <a href="/admin/conversations">Conversations</a>
            <a href="/admin/identities">Identity links</a>
            <form method="post" action="/admin/logout"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Log out</button></form>
            {{/csrf}}
            </header>
            <main>
            {{{body}}}
            </main>
            </body>
            </html>
            """,
        "login": """
            <section>
            <h1>Log in</h1>
            {{#problem}}<p class="error" id="login-problem">{{problem}}</p>{{/problem}}
            {{^enabled}}
            <p class="error">The admin portal is off: set <code>admin.password</code> in channels.yaml (for example through <code>SANDRA_ADMIN_PASSWORD</code>) and restart the host.</p>
            {{/enabled}}
            {{#enabled}}
            <form method="post" action="/admin/login">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <div class="field"><label for="password">Admin password</label>
            <input type="password" id="password" name="password" autocomplete="current-password" required autofocus></div>
            <button type="submit" id="login">Log in</button>
            </form>
            {{/enabled}}
            </section>
            """,
        "channels": """
            <h1>Channels</h1>
            {{#channels}}
            <section>
            <h2>{{displayName}} Channel <small>({{name}})</small></h2>
            <p>State: <strong class="state-{{state}}" id="state-{{name}}">{{state}}</strong>{{#sandbox}} · sandbox mode{{/sandbox}}{{#detail}} · {{detail}}{{/detail}}</p>
            <p><a href="/admin/channels/{{name}}">Status</a> · <a href="/admin/channels/{{name}}/settings">Settings</a>{{#sandbox}} · <a href="/sandbox/{{name}}/">Sandbox</a>{{/sandbox}}</p>
            </section>
            {{/channels}}
            {{^channels}}<section><p>No channel is configured.</p></section>{{/channels}}
            """,
        "settings-index": """
            <h1>Settings</h1>
            <section><ul>
            {{#channels}}<li><a href="/admin/channels/{{name}}/settings">{{displayName}} Channel</a>{{#sandbox}} (sandbox mode){{/sandbox}}</li>{{/channels}}
            </ul>
            <p class="help">Precedence, highest first: a value saved here; then channels.yaml — the environment variable its <code>${VAR}</code> placeholder names when set, else the file's own value; then the setting's default.</p>
            </section>
            """,
        "status": """
            <h1>{{report.displayName}} Channel — status</h1>
            {{#notice}}<p class="notice" id="notice">{{notice}}</p>{{/notice}}
            <section>
            <table>
            <tr><th>State</th><td><strong class="state-{{report.state}}" id="state">{{report.state}}</strong>{{#report.sandbox}} (sandbox mode: the local emulator at <a href="/sandbox/{{report.name}}/">/sandbox/{{report.name}}/</a> plays the platform){{/report.sandbox}}{{#report.detail}}{{^report.isUnauthorized}} · {{report.detail}}{{/report.isUnauthorized}}{{/report.detail}}</td></tr>
            <tr><th>Mode</th><td id="mode">{{report.mode}}{{#report.apiVersionSummary}}{{^report.sandbox}} · Graph API {{report.apiVersionSummary}}{{/report.sandbox}}{{/report.apiVersionSummary}}</td></tr>
            {{#report.token}}<tr><th>Access token</th><td id="token-expiry">{{#report.token.expiresAt}}expires {{report.token.expiresAt}}{{#report.token.expiryEstimated}} (reckoned from when it was saved){{/report.token.expiryEstimated}}{{/report.token.expiresAt}}{{^report.token.expiresAt}}expiry unknown until the first refresh{{/report.token.expiresAt}}{{#report.token.refreshedAt}}; refreshed by the host {{report.token.refreshedAt}}{{/report.token.refreshedAt}}. The host refreshes it once it is a day old.{{#report.token.refreshError}}<div class="error" id="token-refresh-error">The last refresh failed ({{report.token.refreshFailedAt}}): {{report.token.refreshError}}. The current token keeps working until it expires; the host tries again every hour.</div>{{/report.token.refreshError}}</td></tr>{{/report.token}}
            <tr><th>Assistant</th><td id="assistant">{{report.assistant}}</td></tr>
            <tr><th>Mailer</th><td id="mailer">{{report.mailer}}</td></tr>
            {{#report.isUnauthorized}}<tr><th>What to do</th><td class="error">The platform refused the access token{{#report.detail}} ({{report.detail}}){{/report.detail}}. Replies are paused. Paste a new access token in <a href="/admin/channels/{{report.name}}/settings">Settings</a>; waiting replies go out as soon as it is saved.</td></tr>{{/report.isUnauthorized}}
            <tr><th>Callback URL</th><td><code id="callback-url">{{report.callbackURL}}</code><div class="help">Paste it into the App Dashboard's webhook form (Meta requires HTTPS).</div></td></tr>
            {{#report.hasVerifyToken}}<tr><th>Verify token</th><td id="verify-token-state">{{#report.verifyTokenSet}}set — the handshake answers Meta's challenge{{/report.verifyTokenSet}}{{^report.verifyTokenSet}}not set — Meta's handshake will be refused{{/report.verifyTokenSet}}{{#report.lastHandshake}}; last verified {{report.lastHandshake}}{{/report.lastHandshake}}</td></tr>{{/report.hasVerifyToken}}
            <tr><th>Last webhook received</th><td id="last-webhook">{{#report.lastWebhook}}{{report.lastWebhook}}{{/report.lastWebhook}}{{^report.lastWebhook}}none since the host started{{/report.lastWebhook}}</td></tr>
            {{#report.reconfiguredAt}}<tr><th>Settings applied</th><td>{{report.reconfiguredAt}}</td></tr>{{/report.reconfiguredAt}}
            </table>
            </section>
            <section>
            <h2>Messages</h2>
            <table id="counts">
            <tr><th>Received</th><td id="count-received">{{report.counts.received}}</td></tr>
            <tr><th>Answered</th><td id="count-answered">{{report.counts.answered}}</td></tr>
            <tr><th>Failed (retry pending)</th><td id="count-failed">{{report.counts.failed}}</td></tr>
            <tr><th>Dead</th><td id="count-dead">{{report.counts.dead}}</td></tr>
            <tr><th>Expired</th><td>{{report.counts.expired}}</td></tr>
            <tr><th>Queue depth</th><td id="queue-depth">{{report.counts.queueDepth}}</td></tr>
            </table>
            </section>
            <section>
            <h2>Connection</h2>
            {{#test.ok}}<p class="notice" id="test-result">Connected: {{test.account}}{{#test.accountID}} (id {{test.accountID}}){{/test.accountID}}</p>{{/test.ok}}
            {{#test.failed}}<p class="error" id="test-result">{{test.error}}</p>{{#test.meaning}}<p class="help">{{test.meaning}}</p>{{/test.meaning}}{{/test.failed}}
            <form method="post" action="/admin/channels/{{report.name}}/test">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <button type="submit" id="test-connection">Test connection</button>
            </form>
            {{#report.subscribesWebhooks}}
            {{#subscription.ok}}<p class="notice" id="subscribe-result">Subscribed {{subscription.account}} to {{subscription.fieldList}}.</p>{{/subscription.ok}}
            {{#subscription.failed}}<p class="error" id="subscribe-result">{{subscription.error}}</p>{{#subscription.meaning}}<p class="help">{{subscription.meaning}}</p>{{/subscription.meaning}}{{/subscription.failed}}
            <form method="post" action="/admin/channels/{{report.name}}/subscribe">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <button type="submit" id="subscribe-webhooks">Subscribe to webhooks</button>
            </form>
            <p class="help">Subscribes the app to this account's messages and messaging_postbacks webhooks (Graph's subscribed_apps), as <code>sandra subscribe-webhooks {{report.name}}</code> does.</p>
            {{/report.subscribesWebhooks}}
            <p><a href="/admin/channels/{{report.name}}/settings">Settings</a></p>
            </section>
            """,
        "settings": """
            <h1>Settings → {{report.displayName}} Channel</h1>
            {{#notice}}<p class="notice" id="notice">{{notice}}</p>{{/notice}}
            {{#problem}}<p class="error" id="problem">{{problem}}</p>{{/problem}}
            <section>
            <p>State: <strong class="state-{{report.state}}" id="state">{{report.state}}</strong>{{#report.sandbox}} (sandbox mode){{/report.sandbox}} · <a href="/admin/channels/{{report.name}}">Status</a></p>
            <form method="post" action="/admin/channels/{{report.name}}/settings" autocomplete="off">
            <input type="hidden" name="csrf" value="{{csrf}}">
            {{#report.settings}}
            <div class="field">
            <label for="field-{{key}}">{{label}}</label>
            {{#secret}}<input type="password" id="field-{{key}}" name="{{key}}" value="" autocomplete="new-password" placeholder="{{#isSet}}•••••••• saved — leave empty to keep{{/isSet}}{{^isSet}}not set{{/isSet}}">{{/secret}}
            {{^secret}}<input type="{{inputType}}" id="field-{{key}}" name="{{key}}" value="{{value}}">{{/secret}}
            {{#problem}}<p class="problem" id="problem-{{key}}">{{problem}}</p>{{/problem}}
            <p class="origin" id="origin-{{key}}">{{#isSet}}{{#secret}}Set · {{/secret}}{{/isSet}}{{^isSet}}Not set · {{/isSet}}from {{originLabel}}</p>
            {{#fromPortal}}<label class="help"><input type="checkbox" name="reset" value="{{key}}"> Forget the saved value (channels.yaml decides again)</label>{{/fromPortal}}
            <p class="help">{{help}}</p>
            </div>
            {{/report.settings}}
            <button type="submit" id="save">Save</button>
            </form>
            <p class="help">Saving applies the settings at once: the channel restarts with them without restarting the host; messages already received are answered once, through the new settings. Precedence, highest first: a value saved here; then channels.yaml (or the environment variable its placeholder names); then the default.</p>
            </section>
            """,
        "identities": """
            <h1>Identity links</h1>
            {{#notice}}<p class="notice" id="notice">{{notice}}</p>{{/notice}}
            <section>
            <table id="links">
            <tr><th>Channel</th><th>User id</th><th>Email</th><th>Linked</th><th></th></tr>
            {{#links}}
            <tr><td>{{channel}}</td><td>{{userID}}</td><td>{{email}}</td><td>{{linkedAt}}</td>
            <td><form method="post" action="/admin/identities/unlink"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="channel" value="{{channel}}"><input type="hidden" name="user_id" value="{{userID}}"><button type="submit">Unlink</button></form></td></tr>
            {{/links}}
            {{^links}}<tr><td colspan="5">No identity is linked.</td></tr>{{/links}}
            </table>
            <p class="help">The most recent {{limit}} links. Unlinking keeps the profile; the person can link again with <code>/link</code>.</p>
            </section>
            """,
        "conversations": """
            <h1>Conversations</h1>
            {{#notice}}<p class="notice" id="notice">{{notice}}</p>{{/notice}}
            <section>
            <table id="conversations">
            <tr><th>Channel</th><th>Person</th><th>Who answers</th><th>Last message</th><th></th></tr>
            {{#conversations}}
            <tr class="state-{{state}}"><td>{{channel}}</td><td>{{userID}}</td>
            <td>{{state}}{{#pausedUntil}} until {{pausedUntil}}{{/pausedUntil}}{{#reason}} ({{reason}}){{/reason}}{{#threadOwner}}: app {{threadOwner}}{{/threadOwner}}{{#controlRequested}}; another app asks for the thread{{/controlRequested}}</td>
            <td>{{#lastSpeaker}}{{lastSpeaker}}, {{lastActivity}}{{/lastSpeaker}}</td>
            <td>{{#canResume}}<form method="post" action="/admin/conversations/resume"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="channel" value="{{channel}}"><input type="hidden" name="account_id" value="{{accountID}}"><input type="hidden" name="user_id" value="{{userID}}"><button type="submit">Resume Sandra</button></form>{{/canResume}}{{#canRequestControl}}<form method="post" action="/admin/conversations/control"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="channel" value="{{channel}}"><input type="hidden" name="account_id" value="{{accountID}}"><input type="hidden" name="user_id" value="{{userID}}"><button type="submit">Ask for the thread</button></form>{{/canRequestControl}}</td></tr>
            {{/conversations}}
            {{^conversations}}<tr><td colspan="5">No conversation yet.</td></tr>{{/conversations}}
            </table>
            <p class="help"><strong>waiting</strong>: the person asked for a person and nobody has answered yet. <strong>paused</strong>: a person of the business answered (from Meta's apps, a helpdesk or the WhatsApp Business app), so Sandra stays quiet there until the pause ends; the person's messages meanwhile are kept in the conversation for the person of the business and for Sandra afterwards. <strong>other_app</strong>: another app owns the thread (Conversation Routing). The most recent {{limit}} conversations.</p>
            </section>
            """,
        "error": """
            <section><h1>{{title}}</h1><p class="error">{{message}}</p><p><a href="/admin/channels">Back</a></p></section>
            """,
    ]
}
