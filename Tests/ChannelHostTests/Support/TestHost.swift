import AsyncHTTPClient
import ChannelKit
import ChannelPipeline
import ChannelKitTesting
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import SQLiteStorage
import Testing
@testable import ChannelHost

#if canImport(Glibc)
import Glibc
#endif

/// A real host, started in this process on a loopback port from a YAML configuration, and
/// driven over HTTP.
final class TestHost: Sendable {
    let runtime: HostRuntime
    let baseURL: String
    let port: Int
    private let group: ServiceGroup
    private let running: Task<Void, any Error>
    /// The service group's own steps (which service it is stopping, which finished), shown
    /// when the host does not stop.
    private let lifecycle: LogCapture

    private init(runtime: HostRuntime, group: ServiceGroup, running: Task<Void, any Error>, port: Int, lifecycle: LogCapture) {
        self.runtime = runtime
        self.group = group
        self.running = running
        self.lifecycle = lifecycle
        self.port = port
        self.baseURL = "http://127.0.0.1:\(port)"
    }

    /// scrypt's N for `admin.password` in tests: a tenth of a second per login in a debug
    /// build, where the production cost would take seconds (`PasswordHashTests` check that).
    static let passwordHashRounds = 1 << 12

    /// Starts a host; `{{PORT}}` in the YAML is replaced by a free loopback port and
    /// `{{DATA}}` by `dataDirectory` (a new temporary folder when not given).
    ///
    /// The port is found free and then bound by the server, so another socket of the test run
    /// may take it in between: then the server cannot listen, and the host is started again on
    /// another port (a few times) instead of being waited for forever.
    /// - Parameters:
    ///   - logger: where the host logs, as it is (by default the standard handler at `logLevel`).
    ///   - now: identity linking's clock.
    static func start(yaml: String, environment: [String: String] = [:], dataDirectory: String? = nil,
                      logLevel: Logger.Level = .warning, logger: Logger? = nil,
                      now: @escaping @Sendable () -> Date = { Date() }) async throws -> TestHost {
        let data = dataDirectory ?? makeTemporaryDirectory()
        let logger = logger ?? {
            var logger = Logger(label: "test-host")
            logger.logLevel = logLevel
            return logger
        }()
        var attempt = 0
        while true {
            attempt += 1
            let port = try freePort()
            let text = yaml.replacingOccurrences(of: "{{PORT}}", with: "\(port)").replacingOccurrences(of: "{{DATA}}", with: data)
            var configuration = try ConfigurationLoader(registry: .builtin, environment: environment).load(yaml: text, file: "test.yaml")
            // The production cost (N=2^17) takes seconds per login in a debug build.
            configuration.admin.passwordHashRounds = Self.passwordHashRounds
            let runtime = try await HostRuntime.build(configuration: configuration, registry: .builtin, logger: logger, now: now)
            let lifecycle = LogCapture()
            let group = runtime.makeServiceGroup(signals: [], lifecycleLogger: lifecycle.logger(label: "service-group", level: .debug))
            let running = Task { try await group.run() }
            if await runtime.status.waitUntilServing() != nil {
                return TestHost(runtime: runtime, group: group, running: running, port: port, lifecycle: lifecycle)
            }
            // The server could not listen; the group has ended, or is ending, and closes the store.
            let ended = await running.result
            guard attempt < 5 else {
                throw TestFailure("the host could not listen after \(attempt) attempts: \(ended)")
            }
        }
    }

    /// Triggers a graceful shutdown and waits for the host to stop. A host that has not
    /// stopped within `limit` is a failure that names the service it is stuck in, not a
    /// suite that never ends: the service group is then cancelled.
    func stop(within limit: Duration = .seconds(60)) async throws {
        await group.triggerGracefulShutdown()
        let running = self.running
        if await value(within: limit, of: { _ = await running.result; return true }) != nil {
            try await running.value
            return
        }
        let steps = lifecycle.text
        running.cancel()
        let cancelled = await value(within: .seconds(10), of: { _ = await running.result; return true }) != nil
        throw TestFailure("the host did not stop within \(limit)\(cancelled ? "" : ", nor once cancelled"); its service group said:\n\(steps)")
    }

    /// Waits until every accepted message has been answered. A pipeline still busy after
    /// `limit` is recorded as a failure, with what it holds, and the test goes on.
    func waitUntilIdle(within limit: Duration = .seconds(120)) async {
        if await runtime.pipeline.waitUntilIdle(timeout: limit) { return }
        let backlog = await runtime.pipeline.backlog
        let counts = (try? await runtime.store.countsByChannel()).map { "\($0)" } ?? "unreadable"
        let channels = runtime.supervisor.all.map { mounted in
            let name = mounted.configuration.name
            return "\(name): \(runtime.status.entry(for: name).map { "\($0.state) \($0.detail ?? "")" } ?? "unknown")"
        }
        Issue.record("the pipeline was still busy after \(limit): backlog \(backlog); inbox \(counts); channels \(channels)")
    }
}

/// Runs `body` with a started host and stops it afterwards, even when `body` throws.
func withHost<T>(yaml: String, environment: [String: String] = [:], dataDirectory: String? = nil,
                 _ body: (TestHost) async throws -> T) async throws -> T {
    let host = try await TestHost.start(yaml: yaml, environment: environment, dataDirectory: dataDirectory)
    let result: T
    do {
        result = try await body(host)
    } catch {
        try? await host.stop()
        throw error
    }
    try await host.stop()
    return result
}

/// A new empty folder under the temporary directory.
func makeTemporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "sandra-test-" + UUID().uuidString
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A free TCP port on 127.0.0.1, found by binding port 0.
func freePort() throws -> Int {
    let (fd, port) = try boundPort()
    close(fd)
    return port
}

/// A TCP port on 127.0.0.1 that refuses connections for as long as the returned descriptor is
/// open (bound, never listening), so no other test's server can take it meanwhile.
func refusingPort() throws -> (descriptor: Int32, port: Int) {
    try boundPort()
}

private func boundPort() throws -> (Int32, Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket() failed") }
    var keep = false
    defer { if !keep { close(fd) } }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw TestFailure("bind() failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw TestFailure("getsockname() failed") }
    keep = true
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Plain HTTP calls for tests, over a real connection.
enum TestHTTP {
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(30)))
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    struct Reply: Sendable {
        let status: Int
        let headers: [(String, String)]
        let body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(body)) }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    static func request(_ method: String, _ url: String, headers: [String: String] = [:], body: [UInt8]? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 16 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: Array(buffer: collected))
    }

    static func get(_ url: String) async throws -> Reply { try await request("GET", url) }
}
