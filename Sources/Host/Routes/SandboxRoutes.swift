import ChannelKit
import Foundation
import Hummingbird
import Logging
import NIOCore
import Sandbox

/// `/sandbox/<name>/…`: each channel's local emulator (made from the ``SandboxRegistry`` for
/// channels running in sandbox mode), and `/sandbox`, an index of them.
///
/// The sandbox is a page of this host's origin, which it shares with the admin portal, so:
/// - every `POST` must come from this host's own pages or from no browser page at all
///   (``SameOriginPolicy``), and carry `Content-Type: application/json` — or, for a file
///   upload, the file's own type, never one a cross-site form can send — so that another
///   site's page can neither post to the sandbox nor do it without a CORS preflight (never
///   granted);
/// - every answer is kept out of other sites' frames and `Referer`s and has a
///   `Content-Security-Policy` (``BrowserHeaders``); uploaded files are served as inert
///   downloads by the sandboxes themselves.
struct SandboxRoutes {
    let supervisor: ChannelSupervisor
    /// Which `Origin`s may post.
    let origins: SameOriginPolicy

    /// The sandboxes of the channels in sandbox mode now (a channel reconfigured from the
    /// admin portal may have left or entered it).
    private var sandboxes: [String: any ChannelSandbox] {
        var sandboxes: [String: any ChannelSandbox] = [:]
        for mounted in supervisor.all where mounted.sandboxMode {
            if let sandbox = mounted.sandbox { sandboxes[mounted.configuration.name] = sandbox }
        }
        return sandboxes
    }

    func register(on router: Router<HostRequestContext>) {
        router.get("sandbox") { _, _ in
            var items = ""
            for name in sandboxes.keys.sorted() {
                items += "<li><a href=\"/sandbox/\(name)/\">\(name)</a></li>"
            }
            if items.isEmpty { items = "<li>No channel runs in sandbox mode.</li>" }
            let html = "<!doctype html><meta charset=utf-8><title>Sandra sandboxes</title>"
                + "<h1>Sandra sandboxes</h1><ul>\(items)</ul>"
            return Self.answer(.ok, contentType: "text/html; charset=utf-8", html)
        }
        router.get("/") { _, _ in
            Response(status: .seeOther, headers: [.location: sandboxes.isEmpty ? "/readyz" : "/sandbox"])
        }
        for method in [HTTPRequest.Method.get, .post] {
            // `/sandbox/<name>` and `/sandbox/<name>/` are one route: the page itself.
            router.on("sandbox/{name}", method: method) { request, context in
                try await forward(request, context: context, path: "/")
            }
            router.on("sandbox/{name}/**", method: method) { request, context in
                let rest = context.parameters.getCatchAll().joined(separator: "/")
                return try await forward(request, context: context, path: "/" + rest)
            }
        }
    }

    private func forward(_ request: Request, context: HostRequestContext, path: String) async throws -> Response {
        let name = try context.parameters.require("name")
        guard let mounted = supervisor.channel(named: name), mounted.sandboxMode, let sandbox = mounted.sandbox else {
            throw HTTPError(.notFound)
        }
        if request.method == .post, let refusal = refusalReason(of: request, upload: sandbox.takesFileUpload(at: path)) {
            context.logger.warning("sandbox request refused", metadata: ["sandbox": "\(name)", "reason": "\(refusal.reason)"])
            return Self.answer(refusal.status, contentType: "application/json", #"{"error":"\#(refusal.reason)"}"#)
        }
        let body = try await request.body.collect(upTo: sandbox.maxRequestBytes(for: path))
        let answer = await sandbox.handle(SandboxRequest(method: request.method, path: path, query: request.firstQueryValues,
                                                         headers: request.headers, body: Array(buffer: body)))
        var headers = answer.headers
        BrowserHeaders.secure(&headers)
        return Response(status: answer.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    /// Why a `POST` is refused, or `nil`: from another site's page (403), or with a type a
    /// cross-site form could send (415).
    private func refusalReason(of request: Request, upload: Bool) -> (status: HTTPResponse.Status, reason: String)? {
        guard origins.allows(request) else {
            return (.forbidden, "requests from other sites' pages are refused")
        }
        let essence = request.headers[.contentType]?.split(separator: ";", maxSplits: 1).first?
            .trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        if upload {
            let formTypes = ["", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
            guard !formTypes.contains(essence) else {
                return (.unsupportedMediaType, "send the file as the body with its own Content-Type, such as image/jpeg or application/octet-stream")
            }
        } else {
            guard essence == "application/json" || (essence.hasPrefix("application/") && essence.hasSuffix("+json")) else {
                return (.unsupportedMediaType, "send JSON with Content-Type: application/json")
            }
        }
        return nil
    }

    /// A text answer with ``BrowserHeaders``.
    private static func answer(_ status: HTTPResponse.Status, contentType: String, _ text: String) -> Response {
        var headers: HTTPFields = [.contentType: contentType, .cacheControl: "no-store"]
        BrowserHeaders.secure(&headers)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
