import ChannelKit
import Hummingbird
import NIOCore

/// `/sandbox/<name>/…`: each channel's local emulator, for channels running in sandbox mode,
/// and `/sandbox`, an index of them.
struct SandboxRoutes {
    let supervisor: ChannelSupervisor

    /// The sandboxes of the channels in sandbox mode now (a channel reconfigured from the
    /// admin portal may have left or entered it).
    private var sandboxes: [String: any ChannelSandbox] {
        var sandboxes: [String: any ChannelSandbox] = [:]
        for mounted in supervisor.all where mounted.sandboxMode {
            if let sandbox = mounted.channel.sandbox { sandboxes[mounted.configuration.name] = sandbox }
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
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
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
        guard let mounted = supervisor.channel(named: name), mounted.sandboxMode, let sandbox = mounted.channel.sandbox else {
            throw HTTPError(.notFound)
        }
        let body = try await request.body.collect(upTo: sandbox.maxRequestBytes(for: path))
        let answer = await sandbox.handle(SandboxRequest(method: request.method, path: path, query: request.firstQueryValues,
                                                         headers: request.headers, body: Array(buffer: body)))
        return Response(status: answer.status, headers: answer.headers, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}
