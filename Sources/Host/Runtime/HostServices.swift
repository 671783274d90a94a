import AsyncHTTPClient
import ChannelKit
import Logging
import ServiceLifecycle

/// Shuts the host's HTTP client down when the service group stops.
struct HTTPClientService: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}

/// Keeps the pipeline's intake open while the host runs; at shutdown closes it and lets
/// queued and in-flight replies finish within the deadline.
struct PipelineService: Service {
    let pipeline: Pipeline
    let status: ChannelStatusBoard
    let deadline: Duration
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        status.closeIntake()
        let backlog = await pipeline.backlog
        logger.info("shutting down; finishing replies", metadata: ["backlog": "\(backlog)", "deadline": "\(deadline)"])
        let finished = await pipeline.drain(deadline: deadline)
        if finished { logger.info("all replies finished") }
    }
}
