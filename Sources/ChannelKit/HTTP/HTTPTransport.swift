import HTTPTypes

/// Outbound HTTP, as channels and assistant backends need it.
///
/// ChannelKit does not carry an HTTP client: the host owns one (AsyncHTTPClient, with
/// connect and read timeouts and no redirects) and hands it to channels as this protocol.
public protocol HTTPTransport: Sendable {
    /// Performs a request and collects the response body up to the request's cap.
    /// - Throws: ``HTTPTransportError`` for timeouts, connection failures and oversized bodies.
    func execute(_ request: OutboundHTTPRequest) async throws -> OutboundHTTPResponse
}

/// An outbound request.
public struct OutboundHTTPRequest: Sendable {
    /// The method.
    public var method: HTTPRequest.Method
    /// The absolute URL.
    public var url: String
    /// Headers.
    public var headers: HTTPFields
    /// The body, if any.
    public var body: [UInt8]?
    /// How long to wait for the whole response.
    public var timeout: Duration
    /// The largest response body accepted.
    public var maxResponseBytes: Int
    /// The address to connect to instead of resolving the URL's host, or `nil` to resolve it.
    ///
    /// Set by ``MediaFetcher`` to the address it resolved and checked, so the connection cannot
    /// go to another address the name resolves to by then (DNS rebinding). Everything else
    /// still uses the URL's host: the `Host` header, TLS server name indication and certificate
    /// verification. A transport that cannot connect to a given address must fail the request
    /// (``HTTPTransportError/Code/connectionFailed``), never resolve the name itself.
    public var connectAddress: IPAddress?

    /// Creates a request.
    public init(method: HTTPRequest.Method, url: String, headers: HTTPFields = [:], body: [UInt8]? = nil,
                timeout: Duration = .seconds(15), maxResponseBytes: Int = 1 << 20, connectAddress: IPAddress? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        self.connectAddress = connectAddress
    }
}

/// An outbound request's response.
public struct OutboundHTTPResponse: Sendable {
    /// The status.
    public var status: HTTPResponse.Status
    /// Headers.
    public var headers: HTTPFields
    /// The body, at most the request's cap.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: HTTPResponse.Status, headers: HTTPFields = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Why an outbound request produced no response.
public struct HTTPTransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Failure kinds.
    public enum Code: String, Sendable, Hashable {
        /// No complete response within the timeout.
        case timeout
        /// The connection could not be made or broke.
        case connectionFailed
        /// The response body exceeded the cap.
        case responseTooLarge
        /// The URL could not be used.
        case invalidURL
    }

    /// The kind.
    public var code: Code
    /// Details for operators.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
