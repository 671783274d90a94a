import ChannelKit
import ChannelPipeline
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Tracing

/// `GET` and `POST /api/channels/<name>`: the platform's handshake and signed deliveries.
///
/// The body is collected as raw bytes (capped per channel) and handed to the channel
/// untouched; the channel verifies and parses it; the pipeline records the events; only
/// then does the platform get its 200. Replies happen after the response.
struct WebhookRoutes {
    let supervisor: ChannelSupervisor
    let pipeline: Pipeline
    let status: ChannelStatusBoard
    /// Refusals counted on `/metrics` by reason.
    let refusals: WebhookRefusals
    /// How long accepted deliveries took to acknowledge, on `/metrics`.
    let acks: WebhookAcks

    func register(on router: Router<HostRequestContext>) {
        router.get("api/channels/{name}") { request, context in
            try await handle(request, context: context)
        }
        router.post("api/channels/{name}") { request, context in
            try await handle(request, context: context)
        }
    }

    private func handle(_ request: Request, context: HostRequestContext) async throws -> Response {
        let start = ContinuousClock.now
        let name = try context.parameters.require("name")
        do {
            guard pipeline.tracing.isOn else {
                return try await answer(request, channel: name, context: context, start: start)
            }
            // The delivery's trace, continuing the caller's when the request carries one; the
            // events accepted in it keep it for whichever host answers them.
            return try await pipeline.tracing.span("webhook", parent: .headers(Self.traceHeaders(of: request)), kind: .server,
                                                   attributes: { $0["sandra.channel"] = name }) { _ in
                try await answer(request, channel: name, context: context, start: start)
            }
        } catch let error as ChannelKit.ChannelError {
            refusals.refused(channel: name, reason: WebhookRefusals.reason(for: error, method: request.method))
            throw error
        }
    }

    /// The request's W3C Trace Context headers, by lowercase name.
    static func traceHeaders(of request: Request) -> [String: String] {
        var headers: [String: String] = [:]
        for name in ["traceparent", "tracestate"] {
            if let field = HTTPField.Name(name), let value = request.headers[field] { headers[name] = value }
        }
        return headers
    }

    private func answer(_ request: Request, channel name: String, context: HostRequestContext,
                        start: ContinuousClock.Instant) async throws -> Response {
        // Looked up per request: a channel reconfigured from the admin portal serves the next one.
        guard let mounted = supervisor.channel(named: name) else {
            throw HTTPError(.notFound, message: "no channel named '\(name)'")
        }
        var logger = context.logger
        logger[metadataKey: "channel"] = "\(name)"
        let cap = mounted.configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > cap {
            logger.warning("webhook body over the cap", metadata: ["bytes": "\(length)", "cap": "\(cap)"])
            throw ChannelKit.ChannelError(.payloadTooLarge, "body over \(cap) bytes")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: cap)
        } catch is NIOTooManyBytesError {
            logger.warning("webhook body over the cap", metadata: ["cap": "\(cap)"])
            throw ChannelKit.ChannelError(.payloadTooLarge, "body over \(cap) bytes")
        }
        let webhook = WebhookRequest(method: request.method, query: request.firstQueryValues, headers: request.headers, body: Array(buffer: body))

        let outcome: WebhookOutcome
        do {
            outcome = try mounted.channel.handle(webhook, logger: logger)
        } catch let error as ChannelKit.ChannelError {
            switch error.code {
            case .forbidden: logger.warning("webhook rejected", metadata: ["reason": "\(error.message)"])
            case .malformedPayload: logger.warning("signed webhook body could not be read", metadata: ["reason": "\(error.message)"])
            default: logger.warning("webhook refused", metadata: ["error": "\(error)"])
            }
            throw error
        }

        switch outcome {
        case .verified(let challenge):
            logger.info("webhook subscription verified")
            status.handshakeVerified(channel: name)
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: challenge)))
        case .events(let events):
            status.webhookReceived(channel: name)
            guard status.intakeOpen else {
                throw IntakeUnavailable(reason: "shutting down; deliver again later")
            }
            do {
                let acceptance = try await pipeline.accept(events)
                logger.debug("webhook accepted", metadata: [
                    "events": "\(acceptance.received)", "new": "\(acceptance.accepted)", "queued": "\(acceptance.queued)",
                ])
            } catch {
                logger.error("events could not be recorded; asking the platform to deliver again", metadata: ["error": "\(error)"])
                throw IntakeUnavailable(reason: "events could not be recorded")
            }
            acks.acknowledged(channel: name, since: start)
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "EVENT_RECEIVED")))
        }
    }
}
