import ChannelIdentity
import ChannelKit
import Foundation
import Logging
import Synchronization
import Testing
@testable import ChannelHost

#if canImport(Glibc)
import Glibc
#endif

/// The libcurl SMTP mailer against a real SMTP server (aiosmtpd): plain with AUTH, STARTTLS,
/// SMTPS, refused credentials and recipients, nobody listening, and a server that never answers.
@Suite("SMTP mailer", .serialized)
struct SMTPMailerTests {
    static let logger = Logger(label: "smtp-test")
    static let sender = MailboxAddress("Sandra Test <sandra@example.com>")!

    static func settings(_ url: String, user: String = "", password: String = "", startTLS: StartTLSPolicy = .off,
                         caFile: String? = nil, timeout: Duration = .seconds(20)) -> SMTPMailer.Settings {
        SMTPMailer.Settings(url: url, username: user, password: password, from: sender, startTLS: startTLS, caFile: caFile,
                            connectTimeout: .seconds(5), timeout: timeout)
    }

    static let email = EmailMessage(
        to: "alice@example.com",
        subject: "Votre code — Sandra ✓",
        text: """
            Your Sandra verification code is: 048213

            . a line that starts with a dot
            .
            A line with = signs and trailing spaces   
            A long line: \(String(repeating: "lorem ipsum dolor ", count: 12))ends here.
            Ünïcödé 👋🏽 ok
            """)

    static func expectMailerError(_ code: MailerError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                                  _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected MailerError(.\(code.rawValue)), the send succeeded", sourceLocation: sourceLocation)
        } catch let error as MailerError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected MailerError(.\(code.rawValue)), got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("smtp:// with AUTH: the message arrives whole, with well-formed headers and a UTF-8 body")
    func plainWithAuth() async throws {
        let server = try await SMTPTestServer.start(credentials: ("sandra-user", "s3cret pass"))
        defer { server.stop() }
        let mailer = SMTPMailer(settings: Self.settings(server.url, user: "sandra-user", password: "s3cret pass"))
        let before = Date()
        try await mailer.send(Self.email, logger: Self.logger)
        let received = try await server.nextMessage()

        #expect(received.mailFrom == "sandra@example.com")
        #expect(received.recipients == ["alice@example.com"])
        #expect(received.authenticatedUser == "sandra-user")
        #expect(received.encrypted == false)
        let headers = received.headers
        #expect(headers["from"] == "\"Sandra Test\" <sandra@example.com>")
        #expect(headers["to"] == "alice@example.com")
        #expect(Self.decodeHeader(headers["subject"] ?? "") == Self.email.subject)
        #expect(headers["mime-version"] == "1.0")
        #expect(headers["content-type"] == "text/plain; charset=UTF-8")
        #expect(headers["content-transfer-encoding"] == "quoted-printable")
        let messageID = try #require(headers["message-id"])
        #expect(messageID.firstMatch(of: /^<[0-9a-f-]{36}@example\.com>$/) != nil, "\(messageID)")
        let date = try #require(headers["date"])
        let parsed = try #require(Self.parseDate(date), "\(date) is an RFC 5322 date")
        #expect(abs(parsed.timeIntervalSince(before)) < 120)
        #expect(received.text == Self.email.text + "\n", "the body decodes to the text sent")
        #expect(received.code == "048213")
        for line in received.data.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 78, "line too long: \(line)")
            #expect(line.utf8.allSatisfy { $0 < 128 }, "the message is 7-bit: \(line)")
        }
        #expect(received.data.contains("\r\n=2E a line that starts with a dot\r\n"), "a leading dot is encoded")
        #expect(server.output.contains("READY"))
    }

    @Test("a wrong password is reported as an authentication failure, and nothing is delivered")
    func wrongPassword() async throws {
        let server = try await SMTPTestServer.start(credentials: ("sandra-user", "right"))
        defer { server.stop() }
        let mailer = SMTPMailer(settings: Self.settings(server.url, user: "sandra-user", password: "wrong"))
        await Self.expectMailerError(.authentication) { try await mailer.send(Self.email, logger: Self.logger) }
        // No credentials where the server requires them: the sender is refused (530), a settings problem.
        let withoutCredentials = SMTPMailer(settings: Self.settings(server.url))
        await Self.expectMailerError(.configuration) { try await withoutCredentials.send(Self.email, logger: Self.logger) }
        // The server is still there and takes a good send.
        try await SMTPMailer(settings: Self.settings(server.url, user: "sandra-user", password: "right")).send(Self.email, logger: Self.logger)
        #expect(try await server.nextMessage().authenticatedUser == "sandra-user")
        #expect(server.acceptedCount == 1)
    }

    @Test("STARTTLS: the connection is upgraded and the server's certificate is checked")
    func startTLS() async throws {
        let server = try await SMTPTestServer.start(security: .starttls, credentials: ("u", "p"))
        defer { server.stop() }
        let certificate = try #require(server.certificate)
        try await SMTPMailer(settings: Self.settings(server.url, user: "u", password: "p", startTLS: .required, caFile: certificate))
            .send(Self.email, logger: Self.logger)
        let received = try await server.nextMessage()
        #expect(received.encrypted && received.authenticatedUser == "u")
        #expect(received.code == "048213")
        // An untrusted certificate is refused: the settings must change, retrying is useless.
        await Self.expectMailerError(.configuration) {
            try await SMTPMailer(settings: Self.settings(server.url, user: "u", password: "p", startTLS: .required)).send(Self.email, logger: Self.logger)
        }
    }

    @Test("STARTTLS required against a server that does not offer it fails before any credential is sent")
    func startTLSRequiredButMissing() async throws {
        let server = try await SMTPTestServer.start(credentials: ("u", "p"))
        defer { server.stop() }
        await Self.expectMailerError(.configuration) {
            try await SMTPMailer(settings: Self.settings(server.url, user: "u", password: "p", startTLS: .required)).send(Self.email, logger: Self.logger)
        }
        // `optional` falls back to plain text.
        try await SMTPMailer(settings: Self.settings(server.url, user: "u", password: "p", startTLS: .optional)).send(Self.email, logger: Self.logger)
        #expect(try await server.nextMessage().encrypted == false)
    }

    @Test("smtps:// is encrypted from the first byte")
    func smtps() async throws {
        let server = try await SMTPTestServer.start(security: .smtps, credentials: ("u", "p"))
        defer { server.stop() }
        #expect(server.url.hasPrefix("smtps://"))
        try await SMTPMailer(settings: Self.settings(server.url, user: "u", password: "p", caFile: server.certificate))
            .send(Self.email, logger: Self.logger)
        let received = try await server.nextMessage()
        #expect(received.encrypted && received.authenticatedUser == "u" && received.code == "048213")
    }

    @Test("a refused recipient is rejected for good; nobody listening is unavailable")
    func refusals() async throws {
        let server = try await SMTPTestServer.start(rejectRecipientsContaining: "nobody")
        defer { server.stop() }
        var email = Self.email
        email.to = "nobody@example.com"
        await Self.expectMailerError(.rejected) { try await SMTPMailer(settings: Self.settings(server.url)).send(email, logger: Self.logger) }
        #expect(server.acceptedCount == 0)

        let closed = try freePort()
        await Self.expectMailerError(.unavailable) {
            try await SMTPMailer(settings: Self.settings("smtp://127.0.0.1:\(closed)")).send(Self.email, logger: Self.logger)
        }
        email.to = "not an address"
        await Self.expectMailerError(.rejected) { try await SMTPMailer(settings: Self.settings(server.url)).send(email, logger: Self.logger) }
    }

    @Test("a server that never answers times out, and blocked sends do not hold the cooperative threads")
    func timeoutOffThePool() async throws {
        let silent = try SilentListener()
        defer { silent.close() }
        let mailer = SMTPMailer(settings: Self.settings("smtp://127.0.0.1:\(silent.port)", timeout: .seconds(3)))
        let clock = ContinuousClock()
        let started = clock.now
        // More blocked sends than this machine has cooperative threads.
        let sends = Task {
            await withTaskGroup(of: MailerError.Code?.self) { group in
                for _ in 0..<max(4, ProcessInfo.processInfo.activeProcessorCount * 2) {
                    group.addTask {
                        do {
                            try await mailer.send(Self.email, logger: Self.logger)
                            return nil
                        } catch {
                            return (error as? MailerError)?.code
                        }
                    }
                }
                return await group.reduce(into: [MailerError.Code?]()) { $0.append($1) }
            }
        }
        // Once every send is connected and waiting for the server's greeting, other async work
        // still runs at once.
        // (measured from the moment the last connection arrived, on the listener's own thread).
        let arrived = await silent.waitForConnections(max(4, ProcessInfo.processInfo.activeProcessorCount * 2))
        let probe = Task { await Task.yield() }
        await probe.value
        let probeWait = clock.now - arrived
        #expect(probeWait < .milliseconds(1500), "async work ran while sends were blocked (\(probeWait))")
        let outcomes = await sends.value
        let elapsed = clock.now - started
        #expect(outcomes.allSatisfy { $0 == .unavailable }, "\(outcomes)")
        #expect(elapsed >= .milliseconds(2900), "gave up at the timeout, not before (\(elapsed))")
        #expect(elapsed < .milliseconds(5800), "the sends waited side by side, not one after another (\(elapsed))")
    }

    // MARK: - Helpers

    /// Decodes RFC 2047 `=?UTF-8?B?…?=` words (and plain text).
    static func decodeHeader(_ value: String) -> String {
        var out = ""
        var rest = Substring(value)
        while let match = rest.firstMatch(of: /=\?UTF-8\?B\?([A-Za-z0-9+\/=]*)\?=/) {
            let before = rest[..<match.range.lowerBound]
            if !before.allSatisfy(\.isWhitespace) { out += before }
            if let data = Data(base64Encoded: String(match.output.1)) { out += String(decoding: data, as: UTF8.self) }
            rest = rest[match.range.upperBound...]
        }
        return out + rest
    }

    /// Parses `Thu, 09 Oct 2025 08:53:20 +0000`.
    static func parseDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.date(from: text)
    }
}

/// A TCP port that accepts connections and never says a word; tests await the connections.
final class SilentListener: Sendable {
    let port: Int
    private let descriptor: Int32
    private let state = Mutex<(accepted: [Int32], arrivals: [ContinuousClock.Instant],
                               waiters: [(count: Int, continuation: CheckedContinuation<ContinuousClock.Instant, Never>)])>(([], [], []))

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0, listen(fd, 64) == 0 else {
            Glibc.close(fd)
            throw TestFailure("could not listen")
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Returns once `count` connections have arrived, with the time the last of them arrived.
    func waitForConnections(_ count: Int) async -> ContinuousClock.Instant {
        await withCheckedContinuation { continuation in
            let arrived: ContinuousClock.Instant? = state.withLock { state in
                if state.arrivals.count >= count { return state.arrivals[count - 1] }
                state.waiters.append((count, continuation))
                return nil
            }
            if let arrived { continuation.resume(returning: arrived) }
        }
    }

    /// Stops listening and drops every connection.
    func close() {
        shutdown(descriptor, Int32(SHUT_RDWR))
        Glibc.close(descriptor)
        for fd in state.withLock({ $0.accepted }) { Glibc.close(fd) }
    }

    private func acceptLoop() {
        while true {
            let connection = accept(descriptor, nil, nil)
            guard connection >= 0 else { return }
            let now = ContinuousClock.now
            let ready = state.withLock { state in
                state.accepted.append(connection)
                state.arrivals.append(now)
                let count = state.accepted.count
                let ready = state.waiters.filter { $0.count <= count }.map(\.continuation)
                state.waiters.removeAll { $0.count <= count }
                return ready
            }
            for continuation in ready { continuation.resume(returning: now) }
        }
    }
}
