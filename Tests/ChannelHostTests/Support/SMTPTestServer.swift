import Foundation
import Synchronization
@testable import ChannelHost

/// A real SMTP server for the tests: Python's aiosmtpd (Debian's `python3-aiosmtpd`, which
/// `make test` installs) running `Tests/SMTP/smtp_sink.py` as a child process on a loopback
/// port. It keeps every message it accepts; tests await them with ``nextMessage(timeout:)``,
/// which returns when the server reports the message (no polling, no sleeping).
final class SMTPTestServer: Sendable {
    /// How the server speaks.
    enum Security: String, Sendable {
        /// Plain SMTP.
        case none
        /// Plain SMTP that requires STARTTLS before anything else.
        case starttls
        /// TLS from the first byte.
        case smtps
    }

    /// One message the server accepted.
    struct Received: Sendable {
        let mailFrom: String
        let recipients: [String]
        let authenticatedUser: String?
        let encrypted: Bool
        /// The raw message: headers, blank line, body, CRLF line ends.
        let data: String

        /// The headers, unfolded, by lowercased name (the first of each).
        var headers: [String: String] {
            let head = data.components(separatedBy: "\r\n\r\n").first ?? ""
            var result: [String: String] = [:]
            var current: (name: String, value: String)?
            for line in head.components(separatedBy: "\r\n") {
                if line.hasPrefix(" ") || line.hasPrefix("\t"), current != nil {
                    current?.value += line
                    continue
                }
                if let current, result[current.name] == nil { result[current.name] = current.value }
                guard let colon = line.firstIndex(of: ":") else { current = nil; continue }
                current = (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            if let current, result[current.name] == nil { result[current.name] = current.value }
            return result
        }

        /// The raw body after the blank line.
        var rawBody: String {
            guard let range = data.range(of: "\r\n\r\n") else { return "" }
            return String(data[range.upperBound...])
        }

        /// The body decoded from quoted-printable into text.
        var text: String {
            var bytes: [UInt8] = []
            let raw = Array(rawBody.utf8)
            var index = 0
            while index < raw.count {
                let byte = raw[index]
                if byte == UInt8(ascii: "="), index + 2 < raw.count, raw[index + 1] == 13, raw[index + 2] == 10 {
                    index += 3   // soft line break
                } else if byte == UInt8(ascii: "="), index + 2 < raw.count,
                          let value = UInt8(String(decoding: raw[(index + 1)...(index + 2)], as: UTF8.self), radix: 16) {
                    bytes.append(value)
                    index += 3
                } else {
                    bytes.append(byte)
                    index += 1
                }
            }
            return String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        }

        /// The 6-digit code in the body.
        var code: String? {
            text.firstMatch(of: /(?:^|\D)(\d{6})(?:\D|$)/).map { String($0.output.1) }
        }
    }

    let port: Int
    let directory: String
    /// The server's self-signed certificate (PEM), to trust as the client's CA file, when it serves TLS.
    let certificate: String?
    private let process: Process
    private let input: Pipe
    private let mailbox: Mailbox

    /// The messages reported so far, and tests waiting for the next one.
    final class Mailbox: Sendable {
        struct State {
            var paths: [String] = []
            var taken = 0
            var waiters: [(id: Int, continuation: CheckedContinuation<String?, Never>)] = []
            var nextWaiterID = 0
            var finished = false
            var output = ""
        }
        let state = Mutex(State())

        func report(_ path: String) {
            let waiter: CheckedContinuation<String?, Never>? = state.withLock { state in
                if state.waiters.isEmpty {
                    state.paths.append(path)
                    return nil
                }
                state.taken += 1
                state.paths.append(path)
                return state.waiters.removeFirst().continuation
            }
            waiter?.resume(returning: path)
        }

        func finish() {
            let waiters = state.withLock { state in
                state.finished = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.continuation.resume(returning: nil) }
        }

        /// The next message's path; `nil` when the server stopped or the waiting task was
        /// cancelled (so that a caller's timeout ends the wait instead of hanging).
        func next() async -> String? {
            let id = state.withLock { state in
                defer { state.nextWaiterID += 1 }
                return state.nextWaiterID
            }
            return await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let ready: String?? = state.withLock { state in
                        if state.taken < state.paths.count {
                            state.taken += 1
                            return .some(state.paths[state.taken - 1])
                        }
                        if state.finished || Task.isCancelled { return .some(nil) }
                        state.waiters.append((id, continuation))
                        return .none
                    }
                    if let ready { continuation.resume(returning: ready) }
                }
            } onCancel: {
                let waiter = state.withLock { state in
                    state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0).continuation }
                }
                waiter?.resume(returning: nil)
            }
        }
    }

    private init(port: Int, directory: String, certificate: String?, process: Process, input: Pipe, mailbox: Mailbox) {
        self.port = port
        self.directory = directory
        self.certificate = certificate
        self.process = process
        self.input = input
        self.mailbox = mailbox
    }

    /// Starts the server on `port` (a free one when not given) and returns once it listens.
    static func start(port: Int? = nil, security: Security = .none, credentials: (user: String, password: String)? = nil,
                      rejectRecipientsContaining: String? = nil) async throws -> SMTPTestServer {
        let port = try port ?? freePort()
        let directory = makeTemporaryDirectory() + "/smtp"
        let script = CommandLineTests.repositoryRoot.appendingPathComponent("Tests/SMTP/smtp_sink.py").path
        var arguments = ["-W", "ignore", script, "--port", "\(port)", "--dir", directory, "--tls", security.rawValue]
        if let credentials { arguments += ["--user", credentials.user, "--password", credentials.password] }
        if let rejectRecipientsContaining { arguments += ["--reject-rcpt-containing", rejectRecipientsContaining] }

        let process = Process()
        // Debian's python3 has python3-aiosmtpd; a python3 earlier on PATH (pyenv) may not.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = arguments
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        let mailbox = Mailbox()
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        let pending = Mutex("")
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                mailbox.finish()
                continuation.finish()
                return
            }
            let complete: [String] = pending.withLock { buffer in
                buffer += String(decoding: data, as: UTF8.self)
                var parts = buffer.components(separatedBy: "\n")
                buffer = parts.removeLast()
                return parts
            }
            for line in complete {
                mailbox.state.withLock { $0.output += line + "\n" }
                if line.hasPrefix("MESSAGE ") {
                    mailbox.report(String(line.dropFirst("MESSAGE ".count)))
                } else {
                    continuation.yield(line)
                }
            }
        }
        try process.run()

        // Wait for READY (and CERT before it), with a deadline in case Python cannot start.
        let startup = try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                var certificate: String?
                for await line in lines {
                    if line.hasPrefix("CERT ") { certificate = String(line.dropFirst(5)) }
                    if line.hasPrefix("READY ") { return certificate ?? "" }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let startup else {
            if process.isRunning { process.terminate() }
            let printed = mailbox.state.withLock { $0.output }
            throw TestFailure("the SMTP test server did not start (is python3-aiosmtpd installed?): \(printed)")
        }
        return SMTPTestServer(port: port, directory: directory, certificate: startup.isEmpty ? nil : startup,
                              process: process, input: input, mailbox: mailbox)
    }

    /// The next message the server accepts (or accepted already and no test has taken yet).
    func nextMessage(timeout: Duration = .seconds(60)) async throws -> Received {
        let path = try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask { [mailbox] in await mailbox.next() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TestFailure("no message reached the SMTP test server within \(timeout)")
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let path else { throw TestFailure("the SMTP test server stopped: \(output)") }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestFailure("\(path) is not a JSON object")
        }
        return Received(mailFrom: json["mail_from"] as? String ?? "", recipients: json["rcpt_tos"] as? [String] ?? [],
                        authenticatedUser: json["authenticated_user"] as? String, encrypted: json["encrypted"] as? Bool ?? false,
                        data: json["data"] as? String ?? "")
    }

    /// Every message accepted so far, reported or not taken.
    var acceptedCount: Int { mailbox.state.withLock { $0.paths.count } }

    /// What the server printed.
    var output: String { mailbox.state.withLock { $0.output } }

    /// Stops the server (closing its standard input makes it exit); its exit is collected on
    /// a thread of its own, so `defer` blocks can call this without holding a shared thread.
    func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning {
            process.terminate()
        }
        process.reapInBackground()
    }

    /// `smtp://127.0.0.1:<port>` or `smtps://…`.
    var url: String { "\(certificate != nil && isSMTPS ? "smtps" : "smtp")://127.0.0.1:\(port)" }

    private var isSMTPS: Bool { process.arguments?.contains("smtps") ?? false }
}
