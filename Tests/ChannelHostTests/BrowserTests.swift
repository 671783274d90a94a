import ChannelKitTesting
import Foundation
import Testing

/// The sandbox page in a real browser (headless Chromium driven by Selenium, from Debian's
/// `chromium`, `chromium-driver` and `python3-selenium`, which `make test` installs).
@Suite("Sandbox page in a browser", .serialized)
struct BrowserTests {
    @Test("a person types a message in the sandbox page and sees Sandra's plain-text reply, then attaches a photo and sees it described")
    func chatInTheSandboxPage() async throws {
        let script = CommandLineTests.repositoryRoot.appendingPathComponent("Tests/Browser/sandbox_chat.py").path
        try await withHost(yaml: EndToEndTests.yaml()) { host in
            let folder = makeTemporaryDirectory()
            let screenshot = folder + "/sandbox.png"
            // The browser uploads from a file, as a person's browser would.
            let photo = folder + "/photo.png"
            try Data(MediaFixtures.png(width: 5, height: 3)).write(to: URL(fileURLWithPath: photo))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = [script, "\(host.baseURL)/sandbox/instagram/", screenshot, photo]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(printed)")
            #expect(FileManager.default.fileExists(atPath: screenshot))
        }
    }
}
