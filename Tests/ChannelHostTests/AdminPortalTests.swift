import ChannelKit
import ChannelPipeline
import ChannelKitTesting
import Foundation
import Logging
import SQLiteStorage
import Testing
@testable import ChannelHost

/// The admin portal and its JSON API, driven over HTTP against a real host with a real
/// SQLite file: login, CSRF, lockout, validation, saving and applying settings live, status,
/// Test connection, identity links.
@Suite("Admin portal")
struct AdminPortalTests {
    static let password = "correct horse battery staple"
    static let apiToken = "api-token-0123456789abcdef-xyz"
    static let newSecrets = (accessToken: "new-access-token-4f1c9a", verifyToken: "new-verify-token-8b2e77", appSecret: "new-app-secret-c03d51")

    static func yaml(admin: String = "", pipeline: String = "") -> String {
        """
        server:
          host: 127.0.0.1
          port: {{PORT}}
          shutdown_timeout_seconds: 5
        storage:
          path: {{DATA}}/sandra.sqlite
        assistant:
          type: echo
        pipeline:
          send_attempts: 2
          unauthorized_pause_seconds: 600
          \(pipeline)
        admin:
          password: \(password)
          api_token: \(apiToken)
          max_failed_logins: 3
          \(admin)
        channels:
          instagram:
            type: instagram
            sandbox: true
            app_secret: ${IG_APP_SECRET:-\(InstagramFixtures.appSecret)}
            verify_token: \(InstagramFixtures.verifyToken)
            access_token: \(InstagramFixtures.accessToken)
        """
    }

    /// Posts a signed Instagram delivery.
    static func deliver(_ host: TestHost, sender: String, mid: String, text: String, secret: String) async throws -> TestHTTP.Reply {
        let body = InstagramFixtures.body(sender: sender, mid: mid, text: text)
        return try await TestHTTP.request("POST", "\(host.baseURL)/api/channels/instagram",
                                          headers: ["Content-Type": "application/json",
                                                    "X-Hub-Signature-256": InstagramFixtures.signature(body, secret: secret)],
                                          body: body)
    }

    static func handshake(_ host: TestHost, token: String) async throws -> Int {
        try await TestHTTP.get("\(host.baseURL)/api/channels/instagram?hub.mode=subscribe&hub.challenge=42&hub.verify_token=\(token)").status
    }

    /// The emulated Graph API's recorded texts.
    static func sentTexts(_ host: TestHost) async throws -> [String] {
        try await EndToEndTests.outbox(host).compactMap(\.text)
    }

    static func api(_ host: TestHost, _ method: String, _ path: String, token: String = apiToken, json: String? = nil) async throws -> TestHTTP.Reply {
        var headers = ["Authorization": "Bearer \(token)"]
        if json != nil { headers["Content-Type"] = "application/json" }
        return try await TestHTTP.request(method, host.baseURL + path, headers: headers, body: json.map { Array($0.utf8) })
    }

    static func setFaults(_ host: TestHost, _ json: String) async throws {
        let reply = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/instagram/api/faults",
                                               headers: ["Content-Type": "application/json"], body: Array(json.utf8))
        #expect(reply.status == 200)
    }

    // MARK: - Login, sessions, CSRF, lockout

    @Test("without a password the portal is off and says how to turn it on; pages send to the login")
    func portalOff() async throws {
        let yaml = Self.yaml().replacingOccurrences(of: "  password: \(Self.password)\n", with: "")
            .replacingOccurrences(of: "  api_token: \(Self.apiToken)\n", with: "")
        try await withHost(yaml: yaml) { host in
            let admin = AdminClient(baseURL: host.baseURL)
            let login = try await admin.get("/admin/login")
            #expect(login.status == 503)
            #expect(login.text.contains("admin.password"))
            let channels = try await admin.get("/admin/channels")
            #expect(channels.status == 303)
            #expect(channels.header("Location") == "/admin/login")
            let posted = try await admin.post("/admin/login", [("password", Self.password)])
            #expect(posted.status == 503)
            let api = try await Self.api(host, "GET", "/admin/api/channels")
            #expect(api.status == 404)
            #expect(api.text.contains("api_disabled"))
        }
    }

    @Test("login: a wrong password is refused with the tries left; the right one opens a Secure, HttpOnly, SameSite=Strict session")
    func login() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let admin = AdminClient(baseURL: host.baseURL)
            #expect(try await admin.get("/admin/channels").header("Location") == "/admin/login")

            let wrong = try await admin.logIn("not the password at all")
            #expect(wrong.status == 401)
            #expect(wrong.text.contains("Wrong password. 2 tries left"))
            #expect(admin.cookie(AdminRoutes.sessionCookie) == nil)

            let right = try await admin.logIn(Self.password)
            #expect(right.status == 303)
            #expect(right.header("Location") == "/admin/channels")
            let setCookie = try #require(right.headers.first { $0.0.lowercased() == "set-cookie" && $0.1.hasPrefix("\(AdminRoutes.sessionCookie)=") }?.1)
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("Secure"))
            #expect(setCookie.contains("SameSite=Strict"))
            #expect(setCookie.contains("Path=/admin"))

            let channels = try await admin.get("/admin/channels")
            #expect(channels.status == 200)
            #expect(channels.text.contains("Instagram Channel"))
            #expect(channels.header("Cache-Control") == "no-store")
            #expect(channels.header("X-Frame-Options") == "DENY")
            let settings = try await admin.get("/admin/settings")
            #expect(settings.text.contains(#"<a href="/admin/channels/instagram/settings">Instagram Channel</a>"#))

            // Logging out ends the session on the server, not only in the browser.
            let token = try #require(admin.cookie(AdminRoutes.sessionCookie))
            #expect(try await admin.post("/admin/logout", []).status == 303)
            let replayed = try await TestHTTP.request("GET", "\(host.baseURL)/admin/channels",
                                                      headers: ["Cookie": "\(AdminRoutes.sessionCookie)=\(token)"])
            #expect(replayed.status == 303, "a logged-out session token no longer works")
        }
    }

    @Test("after repeated failures the address is locked out, even for the right password, and the API token counts too")
    func lockout() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let admin = AdminClient(baseURL: host.baseURL)
            #expect(try await admin.logIn("wrong password number one").status == 401)
            #expect(try await Self.api(host, "GET", "/admin/api/channels", token: "wrong-token-wrong-token-wrong").status == 401)
            let third = try await admin.logIn("wrong password number three")
            #expect(third.status == 429)
            #expect(third.header("Retry-After").flatMap(Int.init).map { $0 > 800 && $0 <= 900 } == true)
            let right = try await admin.logIn(Self.password)
            #expect(right.status == 429, "locked out: the password is not even checked")
            #expect(admin.cookie(AdminRoutes.sessionCookie) == nil)
            #expect(try await Self.api(host, "GET", "/admin/api/channels").status == 429)
        }
    }

    @Test("behind a trusted proxy, failed logins lock out the client X-Forwarded-For names, not everyone; from anyone else the header is ignored")
    func lockoutBehindProxy() async throws {
        try await withHost(yaml: Self.yaml(admin: "trusted_proxies: 127.0.0.0/8")) { host in
            let attacker = AdminClient(baseURL: host.baseURL, headers: ["X-Forwarded-For": "192.0.2.66, 10.9.9.9, 127.0.0.1"])
            for _ in 0..<3 { _ = try await attacker.logIn("wrong password, over and over") }
            #expect(try await attacker.logIn(Self.password).status == 429)
            // The attacker's address was 10.9.9.9 (the rightmost one not a trusted proxy); what it
            // wrote further left does not matter, and another client still gets in.
            let colleague = AdminClient(baseURL: host.baseURL, headers: ["X-Forwarded-For": "192.0.2.66, 10.9.9.10"])
            #expect(try await colleague.logIn(Self.password).status == 303)
        }
        try await withHost(yaml: Self.yaml()) { host in
            // No trusted proxies: a client cannot pick a fresh address per try.
            for attempt in 0..<3 {
                let client = AdminClient(baseURL: host.baseURL, headers: ["X-Forwarded-For": "203.0.113.\(attempt)"])
                _ = try await client.logIn("wrong password, over and over")
            }
            let another = AdminClient(baseURL: host.baseURL, headers: ["X-Forwarded-For": "203.0.113.200"])
            #expect(try await another.logIn(Self.password).status == 429)
        }
    }

    @Test("a form without the CSRF token, with a wrong one, or from another site is refused and changes nothing")
    func csrf() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let admin = AdminClient(baseURL: host.baseURL)
            // The login form has its own token, bound to a cookie.
            _ = try await admin.get("/admin/login")
            #expect(try await admin.post("/admin/login", [("password", Self.password)], csrf: .some(nil)).status == 403)
            #expect(try await admin.post("/admin/login", [("password", Self.password)], csrf: "forged").status == 403)
            #expect(admin.cookie(AdminRoutes.sessionCookie) == nil)

            #expect(try await admin.logIn(Self.password).status == 303)
            _ = try await admin.get("/admin/channels/instagram/settings")
            let change = [("access_token", Self.newSecrets.accessToken)]
            #expect(try await admin.post("/admin/channels/instagram/settings", change, csrf: .some(nil)).status == 403)
            #expect(try await admin.post("/admin/channels/instagram/settings", change, csrf: "forged-token").status == 403)
            #expect(try await admin.post("/admin/channels/instagram/settings", change,
                                         headers: ["Origin": "https://evil.example"]).status == 403)
            #expect(try await host.runtime.store.settingOverrides(channel: "instagram").isEmpty)
            #expect(try await Self.handshake(host, token: InstagramFixtures.verifyToken) == 200)
        }
    }

    @Test("behind a proxy, a form from admin.public_base_url's origin is accepted; one from any other origin is not")
    func proxyOrigin() async throws {
        try await withHost(yaml: Self.yaml(admin: "public_base_url: https://sandra.example.com")) { host in
            let admin = AdminClient(baseURL: host.baseURL)
            #expect(try await admin.logIn(Self.password).status == 303)
            _ = try await admin.get("/admin/channels/instagram/settings")
            #expect(try await admin.post("/admin/channels/instagram/settings", [("api_version", "v23.0")],
                                         headers: ["Origin": "https://sandra.example.com.evil.example"]).status == 403)
            #expect(try await admin.post("/admin/channels/instagram/settings", [("api_version", "v23.0")],
                                         headers: ["Origin": "http://sandra.example.com:8443"]).status == 403)
            #expect(try await host.runtime.store.settingOverrides(channel: "instagram").isEmpty)
            _ = try await admin.get("/admin/channels/instagram/settings")
            let saved = try await admin.post("/admin/channels/instagram/settings", [("api_version", "v23.0")],
                                             headers: ["Origin": "https://sandra.example.com"])
            #expect(saved.status == 303)
            #expect(Array(try await host.runtime.store.settingOverrides(channel: "instagram").keys) == ["api_version"])
        }
    }

    // MARK: - Settings

    @Test("bad values are refused with their reason, next to their field, and nothing is saved or applied")
    func validation() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let admin = AdminClient(baseURL: host.baseURL)
            try await admin.logIn(Self.password)
            _ = try await admin.get("/admin/channels/instagram/settings")
            let bad = try await admin.post("/admin/channels/instagram/settings", [
                ("access_token", Self.newSecrets.accessToken), ("max_message_bytes", "lots"), ("graph_api_base_url", "ftp://graph.example"),
            ])
            #expect(bad.status == 400)
            #expect(bad.text.contains(#"id="problem-max_message_bytes">expected a whole number"#))
            #expect(bad.text.contains(#"id="problem-graph_api_base_url""#))
            #expect(bad.text.contains("Nothing was saved"))
            #expect(!bad.text.contains(Self.newSecrets.accessToken), "a typed secret is not sent back")

            let refused = try await admin.post("/admin/channels/instagram/settings", [("max_message_bytes", "0")])
            #expect(refused.status == 400, "the channel type refuses a zero limit")
            let unknown = try await Self.api(host, "PATCH", "/admin/api/channels/instagram/settings", json: #"{"values":{"acess_token":"x"}}"#)
            #expect(unknown.status == 400)
            #expect(unknown.text.contains("acess_token"))

            #expect(try await host.runtime.store.settingOverrides(channel: "instagram").isEmpty)
            #expect(try await Self.deliver(host, sender: "u1", mid: "m-1", text: "still old", secret: InstagramFixtures.appSecret).status == 200)

            // An emptied field takes its default, as in channels.yaml: here that changes nothing.
            #expect(try await admin.post("/admin/channels/instagram/settings", [("api_version", "")]).status == 303)
            #expect(try await host.runtime.store.settingOverrides(channel: "instagram").isEmpty)
            let changed = try await admin.post("/admin/channels/instagram/settings", [("api_version", "v21.0")])
            #expect(changed.status == 303)
            #expect(try await host.runtime.store.settingOverrides(channel: "instagram").mapValues(\.value) == ["api_version": "v21.0"])
        }
    }

    @Test("a WhatsApp channel's settings page is built from its own fields, secrets masked; a saved value applies at once")
    func whatsAppSettings() async throws {
        try await withHost(yaml: Self.yaml() + "\n" + WhatsAppEndToEndTests.whatsappChannel()) { host in
            let admin = AdminClient(baseURL: host.baseURL)
            try await admin.logIn(Self.password)
            let page = try await admin.get("/admin/channels/whatsapp/settings")
            #expect(page.status == 200)
            #expect(page.text.contains("WhatsApp"))
            for key in ["access_token", "verify_token", "app_secret", "phone_number_id", "api_version", "graph_api_base_url", "max_message_characters"] {
                #expect(page.text.contains(#"name="\#(key)""#), "field \(key)")
            }
            #expect(!page.text.contains(#"name="max_message_bytes""#), "Instagram's fields are not WhatsApp's")
            #expect(!page.text.contains(WhatsAppFixtures.accessToken) && !page.text.contains(WhatsAppFixtures.appSecret))

            let saved = try await admin.post("/admin/channels/whatsapp/settings", [("max_message_characters", "1200")])
            #expect(saved.status == 303)
            #expect(host.runtime.pipeline.channel(named: "whatsapp")?.profile.textLimit.maximum == 1200)
            #expect(host.runtime.pipeline.channel(named: "instagram")?.profile.textLimit.maximum == 1000, "the other channel is untouched")
            #expect(try await host.runtime.store.settingOverrides(channel: "whatsapp").mapValues(\.value) == ["max_message_characters": "1200"])
        }
    }

    @Test("saving applies at once: the new secrets and token serve, the old ones are refused; secrets are sealed at rest and never shown or logged")
    func saveAppliesLive() async throws {
        let logs = LogCapture()
        let data = makeTemporaryDirectory()
        let host = try await TestHost.start(yaml: Self.yaml(), dataDirectory: data, logger: logs.logger(label: "sandra", level: .trace))
        do {
            let admin = AdminClient(baseURL: host.baseURL)
            try await admin.logIn(Self.password)
            let form = try await admin.get("/admin/channels/instagram/settings")
            #expect(form.text.contains("Settings → Instagram Channel"))
            for label in ["Access Token", "Verify Token", "App Secret", "API Version"] { #expect(form.text.contains(">\(label)</label>")) }
            #expect(!form.text.contains(InstagramFixtures.accessToken), "configured secrets are masked too")
            #expect(form.text.contains(#"id="origin-api_version">from test.yaml line"#) || form.text.contains(#"id="origin-api_version">from default"#))

            let saved = try await admin.post("/admin/channels/instagram/settings", [
                ("access_token", Self.newSecrets.accessToken), ("verify_token", Self.newSecrets.verifyToken),
                ("app_secret", Self.newSecrets.appSecret), ("api_version", "v27.0"), ("max_message_bytes", "1000"),
            ])
            #expect(saved.status == 303)
            let page = try await admin.get("/admin/channels/instagram/settings?saved=1")
            #expect(page.text.contains("Saved. The channel now serves with these settings."))
            #expect(page.text.contains(#"id="origin-access_token">Set · from portal (saved"#))
            for secret in [Self.newSecrets.accessToken, Self.newSecrets.verifyToken, Self.newSecrets.appSecret] {
                #expect(!page.text.contains(secret))
            }

            // The handshake and signatures use the new values; the old ones no longer work.
            #expect(try await Self.handshake(host, token: Self.newSecrets.verifyToken) == 200)
            #expect(try await Self.handshake(host, token: InstagramFixtures.verifyToken) == 403)
            #expect(try await Self.deliver(host, sender: "u1", mid: "m-old", text: "old", secret: InstagramFixtures.appSecret).status == 403)
            #expect(try await Self.deliver(host, sender: "u1", mid: "m-new", text: "after the save", secret: Self.newSecrets.appSecret).status == 200)
            await host.waitUntilIdle()
            // The emulated Graph API accepts only the channel's current token: a reply means the new one was used.
            #expect(try await Self.sentTexts(host).contains { $0.contains("You said: after the save") })

            // Sealed at rest: the database holds no secret in clear.
            let stored = try await host.runtime.store.settingOverrides(channel: "instagram")
            #expect(Set(stored.keys) == ["access_token", "verify_token", "app_secret"])
            #expect(stored.values.allSatisfy { $0.value.hasPrefix(SecretBox.prefix) })
            let keyFile = data + "/secret.key"
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int)
            #expect(mode == 0o600)
            try await host.stop()
            for file in try FileManager.default.contentsOfDirectory(atPath: data) where file.hasPrefix("sandra.sqlite") {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: data + "/" + file))
                for secret in [Self.newSecrets.accessToken, Self.newSecrets.verifyToken, Self.newSecrets.appSecret] {
                    #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file) holds a secret in clear")
                }
            }
            let logText = logs.text
            #expect(logText.contains("channel reconfigured from the admin portal"))
            for secret in [Self.newSecrets.accessToken, Self.newSecrets.verifyToken, Self.newSecrets.appSecret, Self.password, Self.apiToken] {
                #expect(!logText.contains(secret), "a secret reached the log")
            }
        } catch {
            try? await host.stop()
            throw error
        }
    }

    @Test("saved values survive a restart and win over channels.yaml and the environment; forgetting one brings the configured value back; a different key refuses to start")
    func precedenceAndRestart() async throws {
        let data = makeTemporaryDirectory()
        let environment = ["IG_APP_SECRET": "secret-from-the-environment"]
        var host = try await TestHost.start(yaml: Self.yaml(), environment: environment, dataDirectory: data)
        do {
            let before = try await Self.api(host, "GET", "/admin/api/channels/instagram")
            #expect(before.status == 200)
            let settings = try #require((try before.json() as? [String: Any])?["settings"] as? [[String: Any]])
            let appSecret = try #require(settings.first { $0["key"] as? String == "app_secret" })
            #expect(appSecret["origin"] as? String == "environment")
            #expect(appSecret["origin_label"] as? String == "environment (IG_APP_SECRET)")
            #expect(appSecret["set"] as? Bool == true)
            #expect(appSecret["value"] == nil, "secrets are never listed")
            #expect(!before.text.contains("secret-from-the-environment"))
            let verify = try #require(settings.first { $0["key"] as? String == "verify_token" })
            #expect(verify["origin"] as? String == "channels.yaml")

            let patch = try await Self.api(host, "PATCH", "/admin/api/channels/instagram/settings",
                                           json: #"{"values":{"app_secret":"\#(Self.newSecrets.appSecret)"}}"#)
            #expect(patch.status == 200)
            #expect(((try patch.json() as? [String: Any])?["changed"] as? [String]) == ["app_secret"])
            try await host.stop()

            host = try await TestHost.start(yaml: Self.yaml(), environment: environment, dataDirectory: data)
            #expect(try await Self.deliver(host, sender: "u1", mid: "m-1", text: "hi", secret: Self.newSecrets.appSecret).status == 200)
            #expect(try await Self.deliver(host, sender: "u1", mid: "m-2", text: "hi", secret: "secret-from-the-environment").status == 403)

            let reset = try await Self.api(host, "PATCH", "/admin/api/channels/instagram/settings", json: #"{"reset":["app_secret"]}"#)
            #expect(reset.status == 200)
            #expect(try await Self.deliver(host, sender: "u1", mid: "m-3", text: "hi", secret: "secret-from-the-environment").status == 200)
            #expect(try await Self.api(host, "PATCH", "/admin/api/channels/instagram/settings",
                                       json: #"{"values":{"access_token":"\#(Self.newSecrets.accessToken)"}}"#).status == 200)
            try await host.stop()

            // Another key cannot open what was sealed: the host says so and does not start.
            let otherKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            await #expect(throws: HostStartError.self) {
                let started = try await TestHost.start(yaml: Self.yaml(admin: "secret_key: \(otherKey)"), environment: environment,
                                                       dataDirectory: data)
                try await started.stop()
            }
            do {
                let started = try await TestHost.start(yaml: Self.yaml(admin: "secret_key: \(otherKey)"), environment: environment,
                                                       dataDirectory: data)
                try await started.stop()
            } catch let error as HostStartError {
                #expect(error.description.contains("instagram.access_token does not open with this secret key"))
            }
        } catch {
            try? await host.stop()
            throw error
        }
    }

    @Test("a saved value forgotten outside the portal (sandra settings reset) is applied while the host runs")
    func resetOutsideThePortal() async throws {
        let data = makeTemporaryDirectory()
        try await withHost(yaml: Self.yaml(), dataDirectory: data) { host in
            #expect(try await Self.api(host, "PATCH", "/admin/api/channels/instagram/settings",
                                       json: #"{"values":{"max_message_bytes":900}}"#).status == 200)
            #expect(host.runtime.pipeline.channel(named: "instagram")?.profile.textLimit.maximum == 900)
            #expect(await host.runtime.supervisor.applyStoreChanges().isEmpty, "the portal's own save is already served")

            // What `sandra settings reset instagram --key max_message_bytes` does: its own
            // connection to the database file, while the host runs.
            let other = try await SQLiteStore.open(path: data + "/sandra.sqlite", logger: Logger(label: "cli"))
            try await other.saveSettingOverrides([:], removing: ["max_message_bytes"], channel: "instagram", at: Date())
            await other.close()

            // The host's own check of the store (every 10 s) may get there first, or be in the
            // middle of it: then this call has nothing left to do, and the next one neither.
            func served() -> Int? { host.runtime.pipeline.channel(named: "instagram")?.profile.textLimit.maximum }
            var applied = await host.runtime.supervisor.applyStoreChanges()
            #expect(applied == ["instagram"] || applied.isEmpty)
            for _ in 0..<1000 where served() != 1000 {
                try await Task.sleep(for: .milliseconds(10))
                applied += await host.runtime.supervisor.applyStoreChanges()
            }
            #expect(applied.count <= 1)
            #expect(host.runtime.pipeline.channel(named: "instagram")?.profile.textLimit.maximum == 1000)
            #expect(host.runtime.supervisor.channel(named: "instagram")?.origins["max_message_bytes"]?.isPortal == false)
            #expect(await host.runtime.supervisor.applyStoreChanges().isEmpty)
            #expect(try await Self.deliver(host, sender: "u1", mid: "m-reset", text: "still answered", secret: InstagramFixtures.appSecret).status == 200)
        }
    }

    @Test("messages in flight while the token is replaced are each answered exactly once")
    func inFlightDuringSave() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            try await Self.setFaults(host, #"{"delay_ms": 20}"#)
            let senders = ["1001", "1002", "1003"]
            for index in 0..<10 {
                for sender in senders {
                    #expect(try await Self.deliver(host, sender: sender, mid: "m-\(sender)-\(index)", text: "n\(index) from \(sender)",
                                                   secret: InstagramFixtures.appSecret).status == 200)
                }
            }
            // The emulator accepts only the current token: replies in flight with the old one
            // are refused (190) and must go again, with the new one, without a pause.
            let patch = try await Self.api(host, "PATCH", "/admin/api/channels/instagram/settings",
                                           json: #"{"values":{"access_token":"\#(Self.newSecrets.accessToken)"}}"#)
            #expect(patch.status == 200)
            await host.waitUntilIdle()
            let texts = try await Self.sentTexts(host)
            for index in 0..<10 {
                for sender in senders {
                    #expect(texts.filter { $0.contains("You said: n\(index) from \(sender)") }.count == 1,
                            "n\(index) from \(sender) answered once")
                }
            }
            let counts = try await host.runtime.store.countsByChannel()["instagram"] ?? [:]
            #expect(counts[.done] == 30)
            #expect(host.runtime.status.entry(for: "instagram")?.state == .ready)
        }
    }

    @Test("after code 190 the status says unauthorized and what to do; saving a new token resumes the waiting reply at once")
    func unauthorizedThenNewToken() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            try await Self.setFaults(host, #"{"failure_rate": 1, "kinds": ["190"]}"#)
            #expect(try await Self.deliver(host, sender: "2001", mid: "m-190", text: "are you there",
                                           secret: InstagramFixtures.appSecret).status == 200)
            await host.runtime.status.waitUntil(channel: "instagram", is: .unauthorized)
            let ready = try await TestHTTP.get("\(host.baseURL)/readyz")
            #expect(ready.status == 503)

            let admin = AdminClient(baseURL: host.baseURL)
            try await admin.logIn(Self.password)
            let status = try await admin.get("/admin/channels/instagram")
            #expect(status.text.contains(#"id="state">unauthorized"#))
            #expect(status.text.contains("Paste a new access token"))
            #expect(status.text.contains(#"<code id="callback-url">\#(host.baseURL)/api/channels/instagram</code>"#))
            #expect(status.text.contains(#"id="queue-depth">1<"#))
            #expect(status.text.contains(#"<td id="mode">sandbox</td>"#))
            #expect(status.text.contains(#"<td id="assistant">echo</td>"#))
            #expect(status.text.contains(#"<td id="mailer">development mailer (emails go to the log)</td>"#))

            _ = try await admin.get("/admin/channels/instagram/settings")
            #expect(try await admin.post("/admin/channels/instagram/settings", [("access_token", Self.newSecrets.accessToken)]).status == 303)
            await host.waitUntilIdle()   // the pause was 600 s: returning proves the save ended it
            #expect(try await Self.sentTexts(host).contains { $0.contains("You said: are you there") })
            #expect(try await TestHTTP.get("\(host.baseURL)/readyz").status == 200)
            let after = try await admin.get("/admin/channels/instagram")
            #expect(after.text.contains(#"id="state">ready"#))
            #expect(after.text.contains(#"id="count-answered">1<"#))
            #expect(after.text.contains(#"id="queue-depth">0<"#))
        }
    }

    @Test("Test connection shows the account, or the platform's code and what it means")
    func testConnection() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let admin = AdminClient(baseURL: host.baseURL)
            try await admin.logIn(Self.password)
            _ = try await admin.get("/admin/channels/instagram")
            let ok = try await admin.post("/admin/channels/instagram/test", [])
            #expect(ok.status == 200)
            #expect(ok.text.contains(#"id="test-result">Connected: Sandra Sandbox · @sandra.sandbox"#))

            try await Self.setFaults(host, #"{"failure_rate": 1, "kinds": ["190"]}"#)
            let refused = try await admin.post("/admin/channels/instagram/test", [])
            #expect(refused.text.contains("190"))
            #expect(refused.text.contains("The access token was refused"))
            let api = try await Self.api(host, "POST", "/admin/api/channels/instagram/test")
            let json = try #require(try api.json() as? [String: Any])
            #expect(json["ok"] as? Bool == false)
            #expect((json["error"] as? String)?.contains("190") == true)
        }
    }

    @Test("identity links are listed and can be unlinked, from the page and the API")
    func identityLinks() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let alice = ChannelIdentity(channel: "instagram", userID: "ig-alice")
            let bob = ChannelIdentity(channel: "instagram", userID: "ig-bob")
            _ = try await host.runtime.store.link(alice, toVerifiedEmail: "alice@example.com", at: Date())
            _ = try await host.runtime.store.link(bob, toVerifiedEmail: "bob@example.com", at: Date())

            let admin = AdminClient(baseURL: host.baseURL)
            try await admin.logIn(Self.password)
            let page = try await admin.get("/admin/identities")
            #expect(page.text.contains("alice@example.com"))
            #expect(page.text.contains("bob@example.com"))
            #expect(try await admin.post("/admin/identities/unlink", [("channel", "instagram"), ("user_id", "ig-alice")]).status == 303)
            #expect(try await host.runtime.store.profile(for: alice) == nil)
            let after = try await admin.get("/admin/identities?unlinked=1")
            #expect(!after.text.contains("alice@example.com"))

            let listed = try await Self.api(host, "GET", "/admin/api/identities")
            let links = try #require((try listed.json() as? [String: Any])?["links"] as? [[String: Any]])
            #expect(links.map { $0["user_id"] as? String } == ["ig-bob"])
            #expect(try await Self.api(host, "DELETE", "/admin/api/identities/instagram/ig-bob").status == 200)
            #expect(try await Self.api(host, "DELETE", "/admin/api/identities/instagram/ig-bob").status == 404)
            #expect(try await host.runtime.store.profile(for: bob) == nil)
        }
    }

    @Test("the JSON API needs its token and reports channels without secrets; oversized and malformed bodies are refused with nothing saved")
    func apiAuthAndReport() async throws {
        try await withHost(yaml: Self.yaml()) { host in
            let missing = try await TestHTTP.get("\(host.baseURL)/admin/api/channels")
            #expect(missing.status == 401)
            #expect(missing.header("WWW-Authenticate") == "Bearer")
            let listed = try await Self.api(host, "GET", "/admin/api/channels")
            #expect(listed.status == 200)
            let channels = try #require((try listed.json() as? [String: Any])?["channels"] as? [[String: Any]])
            let instagram = try #require(channels.first)
            #expect(instagram["name"] as? String == "instagram")
            #expect(instagram["state"] as? String == "ready")
            #expect(instagram["verify_token_set"] as? Bool == true)
            #expect(!listed.text.contains(InstagramFixtures.accessToken))
            #expect(!listed.text.contains(InstagramFixtures.appSecret))
            #expect(try await Self.api(host, "GET", "/admin/api/channels/nope").status == 404)
            let malformed = try await Self.api(host, "PATCH", "/admin/api/channels/instagram/settings", json: "{not json")
            #expect(malformed.status == 400)
            let oversized = "{\"values\":{\"api_version\":\"" + String(repeating: "v", count: AdminAPIRoutes.maxBodyBytes) + "\"}}"
            #expect(try await Self.api(host, "PATCH", "/admin/api/channels/instagram/settings", json: oversized).status == 413)

            // The HTML forms: an oversized body is 413, a body that is not a form is 400; nothing is saved.
            let admin = AdminClient(baseURL: host.baseURL)
            try await admin.logIn(Self.password)
            _ = try await admin.get("/admin/channels/instagram/settings")
            let big = try await admin.post("/admin/channels/instagram/settings",
                                           [("api_version", String(repeating: "v", count: AdminRoutes.maxFormBytes))])
            #expect(big.status == 413)
            let notForm = try await admin.send("POST", "/admin/channels/instagram/settings", headers: ["Content-Type": "application/json"],
                                               body: Array(#"{"api_version":"v24.0"}"#.utf8))
            #expect(notForm.status == 400)
            #expect(try await host.runtime.store.settingOverrides(channel: "instagram").isEmpty)

            // JSON values need no quotes when they are numbers; a null is not a value.
            let null = try await Self.api(host, "PATCH", "/admin/api/channels/instagram/settings", json: #"{"values":{"max_message_bytes":null}}"#)
            #expect(null.status == 400)
            #expect(try await host.runtime.store.settingOverrides(channel: "instagram").isEmpty)
            let number = try await Self.api(host, "PATCH", "/admin/api/channels/instagram/settings", json: #"{"values":{"max_message_bytes":900}}"#)
            #expect(number.status == 200)
            #expect(host.runtime.pipeline.channel(named: "instagram")?.profile.textLimit.maximum == 900)
        }
    }
}
