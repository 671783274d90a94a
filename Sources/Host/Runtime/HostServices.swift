import AsyncHTTPClient
import ChannelKit
import ChannelPipeline
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

/// Rescans the store for work, and for channel settings changed outside the portal
/// (``ChannelSupervisor/watchStore()``), while the host runs; at shutdown stops taking deliveries
/// (webhooks answer 503), lets queued and in-flight replies finish within the deadline, and
/// closes the store. What does not finish is resumed at the next start.
struct PipelineService: Service {
    let pipeline: Pipeline
    let supervisor: ChannelSupervisor
    let store: any HostStore
    let status: ChannelStatusBoard
    let deadline: Duration
    let logger: Logger

    func run() async throws {
        let rescans = Task { await pipeline.rescanPeriodically() }
        let settings = Task { await supervisor.watchStore() }
        try? await gracefulShutdown()
        rescans.cancel()
        settings.cancel()
        status.closeIntake()
        let backlog = await pipeline.backlog
        logger.info("shutting down; finishing replies", metadata: ["backlog": "\(backlog)", "deadline": "\(deadline)"])
        let finished = await pipeline.drain(deadline: deadline)
        if finished { logger.info("all replies finished") }
        await store.close()
    }
}
