import ChannelIdentity
import ChannelKit
import Logging
import ServiceLifecycle

/// Sends the verification emails still owed — those whose first send failed — and deletes
/// expired codes: once at start-up (an earlier run may have left some) and then every
/// `interval`, until the host shuts down. The emails are durable in the store, so nothing
/// is lost when the host stops between two runs.
struct IdentityMailService: Service {
    let flow: IdentityLinkFlow
    let interval: Duration
    let logger: Logger

    func run() async throws {
        let worker = Task { [flow, interval, logger] in
            while !Task.isCancelled {
                let sent = await flow.deliverOwedEmails(logger: logger)
                if sent > 0 { logger.info("owed verification emails sent", metadata: ["count": "\(sent)"]) }
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
        try? await gracefulShutdown()
        worker.cancel()
        await worker.value
    }
}
