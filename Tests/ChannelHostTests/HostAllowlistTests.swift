import ChannelKit
import Foundation
import Testing
@testable import ChannelHost

/// Which `Host` names the host answers (against DNS rebinding), and how `server.allowed_hosts`
/// is read; over real HTTP, webhooks and probes answer any name.
@Suite("Host allowlist")
struct HostAllowlistTests {
    static func load(_ yaml: String, environment: [String: String] = [:]) throws -> HostConfiguration {
        try ConfigurationLoader(registry: .builtin, environment: environment).load(yaml: yaml, file: "channels.yaml")
    }

    @Test("localhost, IP literals, the public URL's host, a named bind address and the listed names answer; other names do not")
    func names() {
        let allowlist = HostAllowlist(server: ServerConfiguration(host: "sandra.lan", allowedHosts: ["alias.example"]),
                                      publicBaseURL: "https://Sandra.Example.com/")
        for allowed in ["localhost:8080", "LOCALHOST", "localhost.", "127.0.0.1:8080", "[::1]:8080", "10.1.2.3", "sandra.example.com",
                        "sandra.example.com.:443", "sandra.lan:8080", "alias.example", nil] {
            #expect(allowlist.allows(allowed), "\(allowed ?? "no Host")")
        }
        for refused in ["rebind.attacker.example", "rebind.attacker.example:8080", "example.com", "sandra.example.com.evil.example",
                        "localhost.evil.example", "127.0.0.1.nip.io", ""] {
            #expect(!allowlist.allows(refused), "\(refused)")
        }
        let any = HostAllowlist(server: ServerConfiguration(allowedHosts: ["*"]), publicBaseURL: "")
        #expect(any.allows("anything.example"))
    }

    @Test("server.allowed_hosts takes names, addresses and *, as a list or comma-separated; a URL or a port is named with its line")
    func configuration() throws {
        let listed = try Self.load("server:\n  allowed_hosts: [Sandra.Example.com, 192.0.2.7, \"*\"]\n")
        #expect(listed.server.allowedHosts == ["sandra.example.com", "192.0.2.7", "*"])
        let fromVariable = try Self.load("server:\n  allowed_hosts: ${HOSTS:-}\n", environment: ["HOSTS": "a.example, b.example"])
        #expect(fromVariable.server.allowedHosts == ["a.example", "b.example"])
        #expect(try Self.load("server:\n  allowed_hosts: ${HOSTS:-}\n").server.allowedHosts.isEmpty)
        do {
            _ = try Self.load("server:\n  allowed_hosts: [ok.example, \"https://sandra.example.com\", \"sandra.example.com:443\"]\n")
            Issue.record("a URL and a name with a port were accepted")
        } catch let error as ConfigurationError {
            #expect(error.problems.count == 2)
            #expect(error.problems.allSatisfy { $0.keyPath == "server.allowed_hosts" && $0.line == 2 })
            #expect(error.problems.first?.message.contains("no scheme, port or path") == true)
        }
        let rendered = ConfigurationLoader(registry: .builtin, environment: [:]).renderEffective(listed)
        #expect(rendered.contains(#"  allowed_hosts: ["sandra.example.com", "192.0.2.7", "*"]"#))
    }

    @Test("a request naming a host this host does not answer for is refused (DNS rebinding); webhooks and probes still answer")
    func unknownHostsAreRefused() async throws {
        try await withHost(yaml: EndToEndTests.yaml()) { host in
            let rebound = "rebind.attacker.example:\(host.port)"
            let page = try await TestHTTP.request("GET", "\(host.baseURL)/sandbox/instagram/", headers: ["Host": rebound])
            #expect(page.status == 421)
            #expect(page.text.contains("server.allowed_hosts"))
            #expect(!page.text.contains("<script"))
            let sent = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/instagram/api/send",
                                                  headers: ["Host": rebound, "Content-Type": "application/json"],
                                                  body: Array(#"{"user":"rebound","text":"injected"}"#.utf8))
            #expect(sent.status == 421)
            #expect(try await SandboxSecurityTests.thread(host, user: "rebound").isEmpty)
            #expect(try await TestHTTP.request("GET", "\(host.baseURL)/admin/login", headers: ["Host": rebound]).status == 421)

            // Loopback names and addresses answer; so do signed webhooks and probes under any name.
            for name in ["localhost:\(host.port)", "127.0.0.1:\(host.port)", "LOCALHOST.", "[::1]:\(host.port)"] {
                #expect(try await TestHTTP.request("GET", "\(host.baseURL)/sandbox/instagram/", headers: ["Host": name]).status == 200, "\(name)")
            }
            let body = InstagramFixtures.body(sender: "via-proxy", mid: "m.proxy.1", text: "hello")
            let webhook = try await TestHTTP.request("POST", "\(host.baseURL)/api/channels/instagram",
                                                     headers: ["Host": "sandra.example.com", "Content-Type": "application/json",
                                                               "X-Hub-Signature-256": InstagramFixtures.signature(body)], body: body)
            #expect(webhook.status == 200)
            #expect(try await TestHTTP.request("GET", "\(host.baseURL)/healthz", headers: ["Host": "sandra:8080"]).status == 200)
            await host.waitUntilIdle()
        }
    }

    @Test("the public URL's host and server.allowed_hosts are answered; * answers any name")
    func configuredHostsAreAnswered() async throws {
        let yaml = EndToEndTests.yaml().replacingOccurrences(of: "  shutdown_timeout_seconds: 5", with: """
              shutdown_timeout_seconds: 5
              allowed_hosts: [sandra.internal, Sandra-Alias.example]
            admin:
              public_base_url: https://sandra.example.com/
            """)
        try await withHost(yaml: yaml) { (host: TestHost) async throws in
            for (name, status) in [("sandra.example.com", 200), ("sandra.internal:\(host.port)", 200), ("sandra-alias.example", 200),
                                   ("other.example.com", 421), ("example.com", 421)] {
                #expect(try await TestHTTP.request("GET", "\(host.baseURL)/sandbox", headers: ["Host": name]).status == status, "\(name)")
            }
        }
        let any = EndToEndTests.yaml().replacingOccurrences(of: "  shutdown_timeout_seconds: 5", with: "  shutdown_timeout_seconds: 5\n  allowed_hosts: \"*\"")
        try await withHost(yaml: any) { (host: TestHost) async throws in
            #expect(try await TestHTTP.request("GET", "\(host.baseURL)/sandbox", headers: ["Host": "anything.example"]).status == 200)
        }
    }
}
