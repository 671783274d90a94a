import Hummingbird
import Logging
import ServiceLifecycle

/// A fake server's router, served on a loopback port that the kernel picks when the server
/// binds: a port found free first and bound later may be taken in between by another socket
/// of the test run, and the server would then never listen.
struct LoopbackServer: Sendable {
    let port: Int
    let group: ServiceGroup
    let running: Task<Void, any Error>

    /// Starts serving `router`; returns once it listens.
    /// - Throws: a ``TestFailure`` with the server's error when it cannot listen.
    static func start(_ router: Router<BasicRequestContext>, logger: Logger) async throws -> LoopbackServer {
        let (ports, portSignal) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in
                                  portSignal.yield(channel.localAddress?.port ?? 0)
                                  portSignal.finish()
                              }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let running = Task {
            defer { portSignal.finish() }
            try await group.run()
        }
        var listening = ports.makeAsyncIterator()
        guard let port = await listening.next(), port > 0 else {
            throw TestFailure("\(logger.label) could not listen: \(await running.result)")
        }
        return LoopbackServer(port: port, group: group, running: running)
    }

    /// Stops the server and waits for it.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
