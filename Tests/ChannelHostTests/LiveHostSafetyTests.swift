import ChannelKit
import Foundation
import MetaPlatform
import SQLiteStorage
import Testing
@testable import ChannelHost

/// A host with a live channel never answers with an echo or a log mailer nobody chose, and
/// never leaves a channel open with the public development secret.
@Suite("Live host safety", .serialized)
struct LiveHostSafetyTests {
    /// The shipped `channels.yaml`, on a free port and a temporary folder.
    static let shippedYAML = EmbeddedDefaults.channelsYAML
        .replacingOccurrences(of: "${SANDRA_PORT:-8080}", with: "{{PORT}}")
        .replacingOccurrences(of: "${SANDRA_STORAGE_PATH:-./data/sandra.sqlite}", with: "{{DATA}}/sandra.sqlite")

    /// A production environment: Instagram's credentials, nothing for WhatsApp.
    static let instagramLive = [
        "INSTAGRAM_ACCESS_TOKEN": InstagramFixtures.accessToken,
        "INSTAGRAM_APP_SECRET": InstagramFixtures.appSecret,
        "INSTAGRAM_VERIFY_TOKEN": InstagramFixtures.verifyToken,
    ]

    /// The secret sandbox channels sign with, which anyone can read in the source.
    static let developmentSecret = "sandbox-app-secret"

    static func load(_ yaml: String, _ environment: [String: String] = [:]) throws -> HostConfiguration {
        try ConfigurationLoader(registry: .builtin, environment: environment).load(yaml: yaml, file: "test.yaml")
    }

    @Test("a production config serves no sandbox and no route that accepts the development secret; WhatsApp and Messenger are off")
    func productionConfigExposesNoDevelopmentSecret() async throws {
        var environment = Self.instagramLive
        environment["SANDRA_ASSISTANT"] = "echo"
        environment["SANDRA_IDENTITY_ENABLED"] = "false"
        try await withHost(yaml: Self.shippedYAML, environment: environment) { host in
            let whatsapp = WhatsAppFixtures.body(sender: "15550001111", id: "wamid.public-secret", text: "hello")
            let whatsappReply = try await TestHTTP.request(
                "POST", "\(host.baseURL)/api/channels/whatsapp",
                headers: ["Content-Type": "application/json",
                          "X-Hub-Signature-256": WhatsAppFixtures.signature(whatsapp, secret: Self.developmentSecret)],
                body: whatsapp)
            #expect(whatsappReply.status == 404)
            let instagram = InstagramFixtures.body(sender: "1789", mid: "mid.public-secret", text: "hello")
            let instagramReply = try await TestHTTP.request(
                "POST", "\(host.baseURL)/api/channels/instagram",
                headers: ["Content-Type": "application/json",
                          "X-Hub-Signature-256": InstagramFixtures.signature(instagram, secret: Self.developmentSecret)],
                body: instagram)
            #expect(instagramReply.status == 403)
            let messenger = Array(#"{"object":"page","entry":[]}"#.utf8)
            let messengerReply = try await TestHTTP.request(
                "POST", "\(host.baseURL)/api/channels/messenger",
                headers: ["Content-Type": "application/json", "X-Hub-Signature-256": MetaSignature.sign(body: messenger, secret: Self.developmentSecret)],
                body: messenger)
            #expect(messengerReply.status == 404, "Messenger without its token is off: no route at all")
            for path in ["/sandbox/whatsapp/", "/sandbox/instagram/", "/sandbox/messenger/", "/sandbox/instagram/api/outbox"] {
                #expect(try await TestHTTP.get("\(host.baseURL)\(path)").status == 404, "\(path)")
            }
            let ready = try await TestHTTP.get("\(host.baseURL)/readyz")
            #expect(ready.status == 200)
            let channels = try #require((try ready.json() as? [String: Any])?["channels"] as? [String: [String: Any]])
            #expect(channels["whatsapp"]?["state"] as? String == "off")
            #expect(channels["whatsapp"]?["mode"] as? String == "off")
            #expect(channels["instagram"]?["mode"] as? String == "live")
            #expect(try await host.runtime.store.countsByChannel().isEmpty)
        }
    }

    @Test("a live channel with the echo assistant nobody chose refuses to start, naming the variables to set")
    func liveChannelRefusesImplicitEcho() async throws {
        var environment = Self.instagramLive
        environment["SANDRA_IDENTITY_ENABLED"] = "false"
        do {
            try await withHost(yaml: Self.shippedYAML, environment: environment) { _ in }
            Issue.record("the host started")
        } catch let error as HostStartError {
            #expect(error.message.contains("echo"))
            #expect(error.message.contains("SANDRA_ASSISTANT"))
            #expect(error.message.contains("OPENAI_API_KEY"))
        }
    }

    @Test("an access token saved in the portal does not put a sandbox channel live with an echo nobody chose")
    func portalTokenRespectsEchoGuard() async throws {
        let yaml = """
            server: { host: 127.0.0.1, port: {{PORT}} }
            storage: { path: {{DATA}}/sandra.sqlite }
            identity: { enabled: false }
            channels:
              instagram: { type: instagram, app_secret: \(InstagramFixtures.appSecret) }
            """
        try await withHost(yaml: yaml) { host in
            #expect(host.runtime.supervisor.channel(named: "instagram")?.mode == .sandbox)
            do {
                _ = try await host.runtime.supervisor.reconfigure("instagram", .init(values: ["access_token": "EAA-new"]))
                Issue.record("the change was saved")
            } catch let refusal as ChannelSupervisor.Refusal {
                #expect(refusal.status == 409)
                #expect(refusal.problems[""]?.contains("echo") == true)
            }
            #expect(host.runtime.supervisor.channel(named: "instagram")?.mode == .sandbox)
            #expect(try await host.runtime.store.settingOverrides(channel: "instagram").isEmpty, "nothing saved")
        }
        try await withHost(yaml: yaml.replacingOccurrences(of: "identity:", with: "assistant: { type: echo }\nidentity:")) { host in
            let outcome = try await host.runtime.supervisor.reconfigure("instagram", .init(values: ["access_token": "EAA-new"]))
            #expect(outcome.mounted.mode == .live)
        }
    }

    @Test("echo chosen in the file or through SANDRA_ASSISTANT is accepted on a live channel; a placeholder's default is not")
    func explicitEcho() throws {
        let literal = try Self.load("assistant: { type: echo }\nchannels:\n  instagram: { type: instagram, access_token: t }\n")
        #expect(literal.assistant.isTypeExplicit)
        #expect(HostSafety.problems(of: literal, modes: HostSafety.modes(of: literal.channels)).filter { $0.contains("echo") }.isEmpty)
        let placeholder = "assistant: { type: \"${SANDRA_ASSISTANT:-echo}\" }\nidentity: { enabled: false }\n"
            + "channels:\n  instagram: { type: instagram, access_token: t }\n"
        let fromDefault = try Self.load(placeholder)
        #expect(!fromDefault.assistant.isTypeExplicit)
        #expect(HostSafety.problems(of: fromDefault, modes: HostSafety.modes(of: fromDefault.channels)).count == 1)
        let fromEnvironment = try Self.load(placeholder, ["SANDRA_ASSISTANT": "echo"])
        #expect(fromEnvironment.assistant.isTypeExplicit)
        #expect(HostSafety.problems(of: fromEnvironment, modes: HostSafety.modes(of: fromEnvironment.channels)).isEmpty)
        let absent = try Self.load("identity: { enabled: false }\nchannels:\n  instagram: { type: instagram, access_token: t }\n")
        #expect(!absent.assistant.isTypeExplicit)
        #expect(HostSafety.problems(of: absent, modes: HostSafety.modes(of: absent.channels)).count == 1)
    }

    @Test("the embedded defaults with no credentials run the three sandboxes")
    func sandboxUnchanged() async throws {
        let configuration = try Self.load(EmbeddedDefaults.channelsYAML)
        let modes = HostSafety.modes(of: configuration.channels)
        #expect(modes == ["instagram": .sandbox, "whatsapp": .sandbox, "messenger": .sandbox])
        #expect(HostSafety.problems(of: configuration, modes: modes).isEmpty)
        try await withHost(yaml: Self.shippedYAML) { host in
            #expect(try await TestHTTP.get("\(host.baseURL)/sandbox/instagram/").status == 200)
            #expect(try await TestHTTP.get("\(host.baseURL)/sandbox/whatsapp/").status == 200)
            #expect(try await TestHTTP.get("\(host.baseURL)/sandbox/messenger/").status == 200)
            let ready = try #require(try await TestHTTP.get("\(host.baseURL)/readyz").json() as? [String: Any])
            #expect(ready["status"] as? String == "ready")
        }
    }

    @Test("channel modes: sandbox asked for, live with a token, off without one on a live host or with sandbox false")
    func modes() throws {
        let configuration = try Self.load("""
            channels:
              live: { type: instagram, access_token: t }
              asked: { type: whatsapp, sandbox: true }
              unasked: { type: whatsapp }
              refused: { type: instagram, sandbox: false }
            """)
        #expect(HostSafety.modes(of: configuration.channels) == ["live": .live, "asked": .sandbox, "unasked": .off, "refused": .off])
    }

    @Test("a live host refuses the development mailer unless identity linking is off or the mailer was chosen")
    func developmentMailer() throws {
        let base = "assistant: { type: echo }\nchannels:\n  instagram: { type: instagram, access_token: t }\n"
        let unchosen = try Self.load(base)
        let problems = HostSafety.problems(of: unchosen, modes: HostSafety.modes(of: unchosen.channels))
        #expect(problems.count == 1)
        #expect(problems.first?.contains("development mailer") == true)
        for extra in ["identity: { enabled: false }\n", "identity: { email: { development_mailer: true } }\n",
                      "identity: { email: { smtp_url: \"smtps://mail.example.com\", from: sandra@example.com } }\n"] {
            let chosen = try Self.load(extra + base)
            #expect(HostSafety.problems(of: chosen, modes: HostSafety.modes(of: chosen.channels)).isEmpty, "\(extra)")
        }
    }

    @Test("a sandbox on a non-loopback address is refused unless server.public_sandbox allows it")
    func publicSandbox() throws {
        let channels = "channels:\n  instagram: { type: instagram, sandbox: true }\n"
        for (server, refused) in [("{ host: 0.0.0.0 }", true), ("{ host: 0.0.0.0, public_sandbox: true }", false),
                                  ("{ host: 127.0.0.1 }", false), ("{ host: \"::1\" }", false)] {
            let configuration = try Self.load("server: \(server)\n" + channels)
            let problems = HostSafety.problems(of: configuration, modes: HostSafety.modes(of: configuration.channels))
            #expect(problems.isEmpty == !refused, "\(server)")
        }
    }
}
