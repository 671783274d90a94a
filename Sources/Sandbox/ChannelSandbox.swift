import HTTPTypes

/// A local emulator of a platform, mounted by the host at `/sandbox/<channel name>`.
///
/// It lets a person (or a test) hold a conversation with no platform account: it serves a
/// page, builds and signs real webhook payloads, posts them to the channel's real webhook
/// route over HTTP, and plays the platform's send API so replies can be shown.
public protocol ChannelSandbox: Sendable {
    /// Answers a request below the sandbox's mount point.
    /// - Parameters:
    ///   - request: the request; ``SandboxRequest/path`` is relative to the mount point.
    func handle(_ request: SandboxRequest) async -> SandboxResponse

    /// The largest request body the host collects for `path` (relative to the mount point);
    /// larger requests are refused before the sandbox sees them. The default is 1 MiB.
    func maxRequestBytes(for path: String) -> Int

    /// Whether a `POST` to `path` (relative to the mount point) carries a file with its own
    /// `Content-Type` rather than JSON. The host refuses any other sandbox `POST` whose
    /// `Content-Type` is not JSON, and an upload whose type is one a cross-site form can send
    /// (`text/plain`, a form encoding), so that another site's page cannot post to the
    /// sandbox without a CORS preflight, which the host never grants. The default is `false`.
    func takesFileUpload(at path: String) -> Bool

    /// Takes over what the sandbox of the channel's previous configuration holds (its
    /// conversations, uploaded media), so that reconfiguring a channel keeps the emulated
    /// conversations going. Called once, before this sandbox serves anything. The default
    /// takes nothing.
    func adopt(_ previous: any ChannelSandbox) async
}

extension ChannelSandbox {
    /// 1 MiB for every path.
    public func maxRequestBytes(for path: String) -> Int { 1 << 20 }
    /// No path takes a file: every `POST` is JSON.
    public func takesFileUpload(at path: String) -> Bool { false }
    /// Takes nothing.
    public func adopt(_ previous: any ChannelSandbox) async {}
}

/// A request to a sandbox, with its path relative to the sandbox's mount point.
public struct SandboxRequest: Sendable {
    /// The method.
    public var method: HTTPRequest.Method
    /// The path below the mount point, starting with `/` (`/` for the page itself).
    public var path: String
    /// Query parameters.
    public var query: [String: String]
    /// Headers.
    public var headers: HTTPFields
    /// The body.
    public var body: [UInt8]

    /// Creates a request.
    public init(method: HTTPRequest.Method, path: String, query: [String: String] = [:], headers: HTTPFields = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// A sandbox's answer.
public struct SandboxResponse: Sendable {
    /// The status.
    public var status: HTTPResponse.Status
    /// Headers (set `Content-Type`).
    public var headers: HTTPFields
    /// The body.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: HTTPResponse.Status, headers: HTTPFields = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response with a content type and a UTF-8 body.
    public static func text(_ text: String, contentType: String = "text/plain; charset=utf-8", status: HTTPResponse.Status = .ok) -> Self {
        SandboxResponse(status: status, headers: [.contentType: contentType], body: Array(text.utf8))
    }
}
