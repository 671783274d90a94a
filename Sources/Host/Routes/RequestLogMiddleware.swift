import Hummingbird
import Logging

/// Logs each request's method, path (never the query string: the webhook handshake carries
/// the verify token in it), status and duration.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, context: context, status: response.status.code, start: start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            log(request, context: context, status: status, start: start)
            throw error
        }
    }

    private func log(_ request: Request, context: Context, status: Int, start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        // Probes, scrapes and the sandbox page's polling would drown the log at info.
        let path = request.uri.path
        let routine = path == "/healthz" || path == "/readyz" || path == "/metrics"
            || (request.method == .get && path.hasPrefix("/sandbox/"))
        let level: Logger.Level = status >= 500 ? .warning : (routine ? .debug : .info)
        context.logger.log(level: level, "request", metadata: [
            "method": "\(request.method.rawValue)",
            "path": "\(request.uri.path)",
            "status": "\(status)",
            "duration_us": "\(micros)",
        ])
    }
}
