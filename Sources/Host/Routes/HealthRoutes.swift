import Foundation
import Hummingbird
import NIOCore
import Prometheus

/// `GET /healthz` (the process is alive), `GET /readyz` (every channel started and none
/// unauthorized, and the store reachable; 503 with the reason otherwise) and `GET /metrics`
/// (Prometheus text).
///
/// `/readyz`'s body has `status`: `ready`, `degraded` or `unavailable`. `degraded` — a
/// channel whose sends, or a mailer whose emails, have all failed for
/// `server.degraded_after_seconds` — still answers 200: the host takes and keeps every
/// webhook, so taking it out of rotation would help nothing; monitors alert on `status`.
/// Off channels are listed with `"state": "off"` and do not count. A channel whose access
/// token the host refreshes has a `token` object (``TokenStatus/json``): its expiry, the last
/// refresh, and a failed refresh's error — `degraded` only with under 7 days left.
///
/// With `server.benchmark_routes: true`, also `POST /bench/ack`: the bare 200 route of the
/// same host that `make bench` compares the webhook route with. It collects the body under
/// the same 1 MiB cap and answers 200 `ok`; nothing is verified, parsed or recorded.
struct HealthRoutes {
    let status: ChannelStatusBoard
    let prometheus: PrometheusCollectorRegistry
    /// Why the store cannot be used now, or `nil` (``HostStore/unreachableReason()``).
    let storeProblem: @Sendable () async -> String?
    /// Whether `POST /bench/ack` is mounted (`server.benchmark_routes`).
    var benchmarkRoutes: Bool = false

    /// The body cap of `POST /bench/ack`: the webhook routes' default `max_body_bytes`.
    static let benchmarkBodyCap = 1_048_576

    func register(on router: Router<HostRequestContext>) {
        router.get("healthz") { _, _ in
            JSONResponse.make(.ok, ["status": "alive"])
        }
        router.get("readyz") { _, _ in
            let (ready, json) = status.readiness(storeProblem: await storeProblem())
            return JSONResponse.make(ready ? .ok : .serviceUnavailable, json)
        }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: prometheus.emitToBuffer())))
        }
        if benchmarkRoutes {
            router.post("bench/ack") { request, _ in
                do {
                    _ = try await request.body.collect(upTo: Self.benchmarkBodyCap)
                } catch is NIOTooManyBytesError {
                    throw HTTPError(.contentTooLarge)
                }
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok")))
            }
        }
    }
}

/// Small helpers for JSON responses built from dictionaries.
enum JSONResponse {
    static func make(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
