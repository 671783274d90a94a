import Foundation
import Testing
@testable import ChannelHost

/// The `sandra` executable itself, run as a child process.
@Suite("sandra command line")
struct CommandLineTests {
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The built `sandra`, next to the test bundle.
    static func executable() throws -> URL {
        let selfPath = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var directory = URL(fileURLWithPath: selfPath).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("sandra")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw TestFailure("the sandra executable was not found near \(selfPath); build with `swift build --build-tests`")
    }

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Run {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for key in env.keys where ["INSTAGRAM_", "WHATSAPP_", "SANDRA_", "OPENAI_"].contains(where: key.hasPrefix) { env[key] = nil }
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Both pipes at once (one left unread could fill and stop the child), each on a thread of its own.
        let (output, errors) = (out.fileHandleForReading, err.fileHandleForReading)
        async let stdoutBytes = onOwnThread { output.readDataToEndOfFile() }
        async let stderrBytes = onOwnThread { errors.readDataToEndOfFile() }
        let (stdout, stderr) = await (stdoutBytes, stderrBytes)
        await process.exited()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func temporaryFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "sandra-test-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("check-config points at the file, line and key of a mistyped key and exits non-zero")
    func mistypedKey() async throws {
        let path = try Self.temporaryFile("""
        server:
          port: 8080
        channels:
          instagram:
            type: instagram
            acess_token: abc
        """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await Self.run(["check-config", "--config", path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(path):6:"))
        #expect(result.stderr.contains("channels.instagram.acess_token"))
        #expect(result.stderr.contains("access_token"))
    }

    @Test("check-config prints the effective configuration with secrets masked")
    func masksSecrets() async throws {
        let result = try await Self.run(["check-config", "--config", Self.repositoryRoot.appendingPathComponent("channels.yaml").path],
                                  environment: ["INSTAGRAM_ACCESS_TOKEN": "EAAsecret-token-value", "INSTAGRAM_APP_SECRET": "app-secret-value",
                                                "SANDRA_ASSISTANT": "echo", "SANDRA_IDENTITY_ENABLED": "false"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("# instagram: live, webhook /api/channels/instagram, assistant echo, Graph API v27.0 (no expiry announced)"))
        #expect(result.stdout.contains("# whatsapp: off"))
        #expect(result.stdout.contains("# mailer: none (identity linking is off)"))
        #expect(result.stdout.contains("access_token"))
        #expect(!result.stdout.contains("EAAsecret-token-value"))
        #expect(!result.stdout.contains("app-secret-value"))
        #expect(result.stdout.contains("api_version: v27.0") || result.stdout.contains("api_version: \"v27.0\""))
    }

    @Test("check-config exits non-zero on a live channel with the default echo assistant and the development mailer")
    func unsafeLiveConfig() async throws {
        let path = Self.repositoryRoot.appendingPathComponent("channels.yaml").path
        let result = try await Self.run(["check-config", "--config", path], environment: ["INSTAGRAM_ACCESS_TOKEN": "EAA-token"])
        #expect(result.status == 78)
        #expect(result.stderr.contains("echo"))
        #expect(result.stderr.contains("development mailer"))
        #expect(result.stdout.contains("# instagram: live"))
        let development = try await Self.run(["check-config", "--config", path])
        #expect(development.status == 0, "\(development.stderr)")
        #expect(development.stdout.contains("# instagram: sandbox"))
        #expect(development.stdout.contains("# whatsapp: sandbox"))
        #expect(development.stdout.contains("# mailer: development mailer"))
    }

    @Test("serve refuses a broken configuration with a non-zero exit")
    func serveRefusesBrokenConfig() async throws {
        let path = try Self.temporaryFile("server:\n  port: not-a-port\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await Self.run(["serve", "--config", path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(path):2:"))
        #expect(result.stderr.contains("server.port"))
    }

    @Test("the embedded defaults are the repository's channels.yaml")
    func embeddedDefaultsMatch() throws {
        let file = try String(contentsOf: Self.repositoryRoot.appendingPathComponent("channels.yaml"), encoding: .utf8)
        #expect(file == EmbeddedDefaults.channelsYAML)
    }
}
