import ChannelKit
import Hummingbird
import NIOCore

/// `/sandbox/<name>/…`: each channel's local emulator, for channels running in sandbox mode,
/// and `/sandbox`, an index of them.
struct SandboxRoutes {
    let channels: [String: HostRuntime.MountedChannel]

    func register(on router: Router<BasicRequestContext>) {
        let sandboxes = channels.compactMapValues { $0.channel.sandbox }
        router.get("sandbox") { _, _ in
            var items = ""
            for name in sandboxes.keys.sorted() {
                items += "<li><a href=\"/sandbox/\(name)/\">\(name)</a></li>"
            }
            if items.isEmpty { items = "<li>No channel runs in sandbox mode.</li>" }
            let html = "<!doctype html><meta charset=utf-8><title>Sandra sandboxes</title>"
                + "<h1>Sandra sandboxes</h1><ul>\(items)</ul>"
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        router.get("/") { _, _ in
            Response(status: .seeOther, headers: [.location: sandboxes.isEmpty ? "/readyz" : "/sandbox"])
        }
        for method in [HTTPRequest.Method.get, .post] {
            // `/sandbox/<name>` and `/sandbox/<name>/` are one route: the page itself.
            router.on("sandbox/{name}", method: method) { request, context in
                try await forward(request, context: context, sandboxes: sandboxes, path: "/")
            }
            router.on("sandbox/{name}/**", method: method) { request, context in
                let rest = context.parameters.getCatchAll().joined(separator: "/")
                return try await forward(request, context: context, sandboxes: sandboxes, path: "/" + rest)
            }
        }
    }

    private func forward(_ request: Request, context: BasicRequestContext, sandboxes: [String: any ChannelSandbox],
                         path: String) async throws -> Response {
        let name = try context.parameters.require("name")
        guard let sandbox = sandboxes[name] else { throw HTTPError(.notFound) }
        let body = try await request.body.collect(upTo: sandbox.maxRequestBytes(for: path))
        let answer = await sandbox.handle(SandboxRequest(method: request.method, path: path, query: request.firstQueryValues,
                                                         headers: request.headers, body: Array(buffer: body)))
        return Response(status: answer.status, headers: answer.headers, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}
