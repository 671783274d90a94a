import HTTPTypes

/// A webhook call as it arrived, before anything was decoded.
///
/// The host hands channels the raw body bytes so that a signature is checked over exactly
/// what the platform sent: Meta signs bodies that contain `\uXXXX` and `\/` escapes, and a
/// re-encoded body would not verify.
public struct WebhookRequest: Sendable {
    /// The HTTP method (`GET` for handshakes, `POST` for deliveries).
    public var method: HTTPRequest.Method
    /// The query parameters; when a name repeats, the first value wins.
    public var query: [String: String]
    /// The request headers.
    public var headers: HTTPFields
    /// The body exactly as received.
    public var body: [UInt8]

    /// Creates a webhook request.
    public init(method: HTTPRequest.Method, query: [String: String] = [:], headers: HTTPFields = [:], body: [UInt8] = []) {
        self.method = method
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// What a channel made of a webhook request.
public enum WebhookOutcome: Sendable, Equatable {
    /// A subscription handshake that succeeded: answer 200 with this body, byte for byte.
    case verified(challenge: String)
    /// A signed delivery: zero or more normalized events to accept, then answer 200.
    case events([InboundEvent])
}
