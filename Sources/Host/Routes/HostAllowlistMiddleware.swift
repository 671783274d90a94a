import Hummingbird
import Logging
import NIOCore

/// Refuses, with `421 Misdirected Request`, a request whose `Host` is not one the host answers
/// for (``HostAllowlist``): the admin portal, the sandboxes and `/` cannot be reached through
/// a rebound DNS name.
///
/// Exempt: the webhook routes (`/api/channels/…`, which the platform calls with the public
/// name the host may not know, behind a proxy that passes it on, and which act only on signed
/// or token-checked requests), Meta's data-deletion and deauthorize callbacks (`/api/meta/…`,
/// signed with the app secret, and the deletion's status page they link to) and `/healthz`,
/// `/readyz`, `/metrics` (probes address the host by whatever name their network gives it).
struct HostAllowlistMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowlist: HostAllowlist

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if Self.isExempt(path) || allowlist.allows(request.head.authority) {
            return try await next(request, context)
        }
        let name = request.head.authority.flatMap(HostAllowlist.name(of:)) ?? ""
        let shown = name.count <= 253 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ".-_:[]".contains($0)) } ? name : "?"
        context.logger.notice("request for a host name this host does not answer for refused", metadata: ["host": "\(shown)"])
        let text = "This host does not answer for the name '\(shown)'. If that is its public name, set admin.public_base_url "
            + "or list the name in server.allowed_hosts.\n"
        var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"]
        headers.append(contentsOf: BrowserHeaders.common)
        return Response(status: .misdirectedRequest, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Whether `path` is answered whatever the `Host`.
    static func isExempt(_ path: String) -> Bool {
        path.hasPrefix("/api/channels/") || path.hasPrefix("/api/meta/") || path == "/healthz" || path == "/readyz" || path == "/metrics"
    }
}
