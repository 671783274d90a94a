import Foundation
import Synchronization

/// The real `sandra` executable as a child process, for tests that kill and restart it.
final class ChildHost: Sendable {
    let port: Int
    let baseURL: String
    private let process: Process
    private let output: OutputBuffer

    /// What the child printed, shared with the pipe's reader.
    final class OutputBuffer: Sendable {
        let text = Mutex("")
    }

    private init(process: Process, port: Int, output: OutputBuffer) {
        self.process = process
        self.port = port
        self.baseURL = "http://127.0.0.1:\(port)"
        self.output = output
    }

    /// Starts `sandra serve --config <path>` and returns once it prints that it listens.
    static func launch(config path: String, port: Int, environment: [String: String] = [:], logLevel: String = "warning",
                       timeout: Duration = .seconds(60)) async throws -> ChildHost {
        let process = Process()
        process.executableURL = try CommandLineTests.executable()
        process.arguments = ["serve", "--config", path, "--log-level", logLevel]
        var env = ProcessInfo.processInfo.environment
        for key in env.keys where key.hasPrefix("INSTAGRAM_") || key.hasPrefix("SANDRA_") || key.hasPrefix("OPENAI_") || key.hasPrefix("OTEL_") {
            env[key] = nil
        }
        env.merge(environment) { $1 }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = OutputBuffer()
        let (listening, signal) = AsyncStream.makeStream(of: Void.self)
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                signal.finish()
                return
            }
            let seen = output.text.withLock { text in
                // Keep the first megabyte: start-up lines matter most.
                if text.utf8.count < 1 << 20 { text += String(decoding: data, as: UTF8.self) }
                return text.contains("Sandra is listening on")
            }
            if seen { signal.finish() }
        }
        try process.run()
        let started = await value(within: timeout) { for await _ in listening {}; return true } ?? false
        signal.finish()
        let host = ChildHost(process: process, port: port, output: output)
        guard started, process.isRunning else {
            await host.kill()
            throw TestFailure("sandra did not start: \(host.log)")
        }
        return host
    }

    /// Starts `sandra serve` on a free port with the configuration file `configuration` writes
    /// for that port. The port is found free before the child binds it, so another socket may
    /// take it first; the child then cannot listen, and this tries again with another port.
    /// - Returns: the host and its configuration file.
    static func launch(configuredFor configuration: (Int) throws -> String, environment: [String: String] = [:],
                       logLevel: String = "warning") async throws -> (host: ChildHost, config: String) {
        var attempt = 0
        while true {
            attempt += 1
            let port = try freePort()
            let path = try configuration(port)
            do {
                // Bound first: a tuple with an awaited element is miscompiled at -O (see MediaPreparer.download).
                let host = try await launch(config: path, port: port, environment: environment, logLevel: logLevel)
                return (host, path)
            } catch let failure as TestFailure where failure.description.contains("Address already in use") && attempt < 5 {
                continue
            }
        }
    }

    /// The process id.
    var processIdentifier: Int32 { process.processIdentifier }

    /// Whether the process is still running.
    var isRunning: Bool { process.isRunning }

    /// What the process printed so far (the first megabyte).
    var log: String { output.text.withLock { $0 } }

    /// Sends `signal` to the process if it runs: SIGSTOP freezes it the way a long pause of
    /// the machine would (nothing runs, its sockets stay open), SIGCONT wakes it.
    func signal(_ signal: Int32) {
        if process.isRunning { Foundation.kill(process.processIdentifier, signal) }
    }

    /// SIGKILL: no shutdown, no flushing, the way a crash ends a process; returns once it is gone.
    func kill() async {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        await process.exited()
    }

    /// SIGTERM, then waits for the exit; returns the exit status.
    func terminate() async -> Int32 {
        if process.isRunning { process.terminate() }
        await process.exited()
        return process.terminationStatus
    }

    /// SIGTERM without waiting, for `defer` blocks, which cannot wait; the exit is collected on
    /// a thread of its own.
    func terminateInBackground() {
        if process.isRunning { process.terminate() }
        process.reapInBackground()
    }

    /// SIGKILL without waiting, for `defer` blocks.
    func killInBackground() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.reapInBackground()
    }
}
