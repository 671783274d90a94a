import ChannelKit
import ChannelPipeline
import Foundation
import Logging
import Testing
@testable import ChannelHost

/// The host opens the store `storage:` names through one factory: one SQLite file serves one
/// host, and `storage.postgres` (or `SANDRA_DATABASE_URL`) chooses PostgreSQL.
@Suite("Store selection")
struct StoreSelectionTests {
    static let yaml = """
        server:
          host: 127.0.0.1
          port: {{PORT}}
        storage:
          path: {{DATA}}/sandra.sqlite
        identity:
          enabled: false
        channels:
          instagram:
            type: instagram
            sandbox: true
        """

    static func load(_ yaml: String, _ environment: [String: String] = [:]) throws -> HostConfiguration {
        try ConfigurationLoader(registry: .builtin, environment: environment).load(yaml: yaml, file: "test.yaml")
    }

    @Test("a second host on one SQLite file is refused with a pointer to PostgreSQL; tools still open it; once the first stops, a host starts")
    func secondHostOnOneFileIsRefused() async throws {
        let data = makeTemporaryDirectory()
        let first = try await TestHost.start(yaml: Self.yaml, dataDirectory: data)
        let configuration = try Self.load(Self.yaml.replacingOccurrences(of: "{{PORT}}", with: "0")
            .replacingOccurrences(of: "{{DATA}}", with: data))
        do {
            _ = try await HostRuntime.build(configuration: configuration, registry: .builtin, logger: Logger(label: "second"))
            Issue.record("a second host started on \(data)/sandra.sqlite")
        } catch let error as HostStartError {
            #expect(error.component == "storage")
            #expect(error.message.contains("another host is already using \(data)/sandra.sqlite"))
            #expect(error.message.contains("storage.postgres.url"))
            #expect(error.message.contains("SANDRA_DATABASE_URL"))
        }
        // `sandra inbox` and friends read and repair the store while the host runs.
        let tool = try await StoreFactory.open(configuration.storage, role: .tool, logger: Logger(label: "tool"))
        #expect(try await tool.counts().values.reduce(0, +) == 0)
        await tool.close()
        try await first.stop()

        let second = try await TestHost.start(yaml: Self.yaml, dataDirectory: data)
        try await second.stop()
    }

    @Test("storage.postgres reads every key; the effective configuration masks the password")
    func postgresKeys() throws {
        let configuration = try Self.load("""
            storage:
              postgres:
                url: postgres://sandra:s3cret-pw@db.internal:6432/sandra?sslmode=require
                pool_size: 4
                connect_timeout_seconds: 2
            admin:
              secret_key_file: /etc/sandra/secret.key
            """)
        #expect(configuration.storage.postgres == PostgresConfiguration(
            url: "postgres://sandra:s3cret-pw@db.internal:6432/sandra?sslmode=require", poolSize: 4,
            connectTimeoutSeconds: 2))
        #expect(configuration.storage.postgres.isEnabled)
        let rendered = ConfigurationLoader(registry: .builtin, environment: [:]).renderEffective(configuration)
        #expect(!rendered.contains("s3cret-pw"))
        #expect(rendered.contains("postgres://sandra:********@db.internal:6432/sandra?sslmode=require"))
        #expect(try Self.load("").storage.postgres.isEnabled == false)
    }

    @Test("SANDRA_DATABASE_URL chooses PostgreSQL with the shipped channels.yaml; without a shared secret key the file and line say why not")
    func databaseURLNeedsASharedKey() throws {
        let url = "postgresql://sandra:pw-not-shown@127.0.0.1:5432/sandra"
        do {
            _ = try Self.load(EmbeddedDefaults.channelsYAML, ["SANDRA_DATABASE_URL": url])
            Issue.record("PostgreSQL was accepted without a shared secret key")
        } catch let error as ConfigurationError {
            let problem = try #require(error.problems.first { $0.keyPath == "storage.postgres.url" })
            let line = try #require(EmbeddedDefaults.channelsYAML.split(separator: "\n", omittingEmptySubsequences: false)
                .firstIndex { $0.contains("url: ${SANDRA_DATABASE_URL") })
            #expect(problem.line == line + 1)
            #expect(problem.message.contains("SANDRA_SECRET_KEY"))
            #expect(problem.message.contains("admin.secret_key_file"))
        }
        for key in ["SANDRA_SECRET_KEY", "SANDRA_SECRET_KEY_FILE"] {
            let value = key == "SANDRA_SECRET_KEY" ? String(repeating: "ab", count: 32) : "/run/secrets/sandra.key"
            let configuration = try Self.load(EmbeddedDefaults.channelsYAML, ["SANDRA_DATABASE_URL": url, key: value])
            #expect(configuration.storage.postgres.url == url)
        }
    }

    @Test("a storage.postgres.url that is not a PostgreSQL URL is refused at its line, without repeating it", arguments: [
        ("mysql://sandra:pw-not-shown@db/sandra", "expected postgres://"),
        ("postgres://sandra:pw-not-shown@/sandra", "names no server"),
        ("postgres://sandra:pw-not-shown@db.internal", "names no database"),
        ("postgres://db.internal/sandra", "names no user"),
    ])
    func badURLs(url: String, expected: String) throws {
        do {
            _ = try Self.load("""
                storage:
                  postgres:
                    url: \(url)
                admin:
                  secret_key_file: /etc/sandra/secret.key
                """)
            Issue.record("\(expected): accepted")
        } catch let error as ConfigurationError {
            #expect(error.problems.count == 1)
            let problem = try #require(error.problems.first)
            #expect(problem.keyPath == "storage.postgres.url")
            #expect(problem.line == 3)
            #expect(problem.message.contains(expected))
            #expect(!problem.message.contains("pw-not-shown"))
        }
    }

    @Test("pipeline.lease_seconds and worker_id: defaults, values, and a worker id derived from the machine and port")
    func leaseKeys() throws {
        let defaults = try Self.load("server:\n  port: 8123\n")
        #expect(defaults.pipeline.leaseSeconds == 60)
        #expect(defaults.pipeline.effectiveWorkerID(port: 8123) == "\(ProcessInfo.processInfo.hostName):8123")
        let set = try Self.load("pipeline:\n  lease_seconds: 20\n  worker_id: sandra-2\n")
        #expect(set.pipeline.leaseSeconds == 20)
        #expect(set.pipeline.effectiveWorkerID(port: 8123) == "sandra-2")
        do {
            _ = try Self.load("pipeline:\n  lease_seconds: 2\n")
            Issue.record("a lease of 2 s was accepted")
        } catch let error as ConfigurationError {
            #expect(error.problems.map(\.keyPath) == ["pipeline.lease_seconds"])
        }
    }
}
