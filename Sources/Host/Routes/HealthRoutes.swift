import Foundation
import Hummingbird
import NIOCore
import Prometheus

/// `GET /healthz` (the process is alive), `GET /readyz` (every channel started and none
/// unauthorized; 503 with the reason otherwise) and `GET /metrics` (Prometheus text).
struct HealthRoutes {
    let status: ChannelStatusBoard
    let prometheus: PrometheusCollectorRegistry

    func register(on router: Router<BasicRequestContext>) {
        router.get("healthz") { _, _ in
            JSONResponse.make(.ok, ["status": "alive"])
        }
        router.get("readyz") { _, _ in
            let (ready, json) = status.readiness()
            return JSONResponse.make(ready ? .ok : .serviceUnavailable, json)
        }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: prometheus.emitToBuffer())))
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
