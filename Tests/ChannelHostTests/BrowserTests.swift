import ChannelKitTesting
import Foundation
import Logging
import Testing
@testable import ChannelHost

/// Pages in a real browser (headless Chromium driven by Selenium, from Debian's `chromium`,
/// `chromium-driver` and `python3-selenium`, which `make test` installs).
@Suite("Pages in a browser", .serialized)
struct BrowserTests {
    /// Runs a script of Tests/Browser with python3; returns its exit status and output. The
    /// output goes to a file (a browser the script leaves behind cannot hold a pipe open), and a
    /// script still running after `timeout` is killed.
    static func runScript(_ name: String, _ arguments: [String], timeout: Duration = .seconds(240)) async throws -> (status: Int32, output: String) {
        let script = CommandLineTests.repositoryRoot.appendingPathComponent("Tests/Browser/\(name)").path
        let outputPath = makeTemporaryDirectory() + "/output.txt"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script] + arguments
        process.standardOutput = output
        process.standardError = output
        let exited = AsyncStream<Void> { continuation in
            process.terminationHandler = { _ in continuation.yield(); continuation.finish() }
        }
        try process.run()
        let finished = await value(within: timeout) { for await _ in exited { return true }; return true } ?? false
        if !finished {
            process.terminate()
            await process.exited()
        }
        let printed = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return (finished ? process.terminationStatus : -1, finished ? printed : "timed out after \(timeout)\n" + printed)
    }

    @Test("a person types a message in the sandbox page and sees Sandra's plain-text reply, then attaches a photo and sees it described")
    func chatInTheSandboxPage() async throws {
        try await withHost(yaml: EndToEndTests.yaml()) { host in
            let folder = makeTemporaryDirectory()
            let screenshot = folder + "/sandbox.png"
            // The browser uploads from a file, as a person's browser would.
            let photo = folder + "/photo.png"
            try Data(MediaFixtures.png(width: 5, height: 3)).write(to: URL(fileURLWithPath: photo))
            let result = try await Self.runScript("sandbox_chat.py", ["\(host.baseURL)/sandbox/instagram/", screenshot, photo])
            #expect(result.status == 0, "\(result.output)")
            #expect(FileManager.default.fileExists(atPath: screenshot))
        }
    }

    @Test("Option B in a browser: log in, Settings → Instagram Channel, enter the three secrets, Save; the refused channel becomes ready and answers with them")
    func adminPortalOptionB() async throws {
        let logs = LogCapture()
        let host = try await TestHost.start(yaml: AdminPortalTests.yaml(), logger: logs.logger(label: "sandra", level: .debug))
        do {
            // The platform revokes the configured token: a message is held, the channel unauthorized.
            try await AdminPortalTests.setFaults(host, #"{"failure_rate": 1, "kinds": ["190"]}"#)
            #expect(try await AdminPortalTests.deliver(host, sender: "3001", mid: "m-held", text: "held until the new token",
                                                       secret: InstagramFixtures.appSecret).status == 200)
            await host.runtime.status.waitUntil(channel: "instagram", is: .unauthorized)

            let secrets = AdminPortalTests.newSecrets
            let screenshot = makeTemporaryDirectory() + "/admin.png"
            let result = try await Self.runScript("admin_portal.py", [host.baseURL, AdminPortalTests.password, secrets.accessToken,
                                                                secrets.verifyToken, secrets.appSecret, screenshot])
            #expect(result.status == 0, "\(result.output)")

            // The held message went out once the new token was saved; the new secrets serve.
            await host.waitUntilIdle()
            let texts = try await AdminPortalTests.sentTexts(host)
            #expect(texts.filter { $0.contains("You said: held until the new token") }.count == 1)
            #expect(try await TestHTTP.get("\(host.baseURL)/readyz").status == 200)
            #expect(try await AdminPortalTests.handshake(host, token: secrets.verifyToken) == 200)
            #expect(try await AdminPortalTests.deliver(host, sender: "3001", mid: "m-old", text: "x", secret: InstagramFixtures.appSecret).status == 403)
            try await host.stop()
            for secret in [secrets.accessToken, secrets.verifyToken, secrets.appSecret, AdminPortalTests.password] {
                #expect(!logs.text.contains(secret), "a secret reached the log")
            }
        } catch {
            try? await host.stop()
            throw error
        }
    }
}
