import Hummingbird
import ServiceLifecycle

/// Runs the HTTP server and tells the status board when it has ended, whether it stopped or
/// never listened (its address taken): nobody waits for a server that will not come.
struct ServerService<App: ApplicationProtocol>: Service {
    let application: App
    let status: ChannelStatusBoard

    func run() async throws {
        defer { status.serverEnded() }
        try await application.run()
    }
}
