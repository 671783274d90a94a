import HTTPTypes

/// Where a channel's media is fetched from: a URL and the headers the platform requires
/// (WhatsApp wants a bearer token; Instagram's CDN wants none).
public struct MediaSource: Sendable {
    /// The absolute URL.
    public var url: String
    /// Headers sent to the URL's own host only, never to a host a redirect leads to.
    public var headers: HTTPFields

    /// Creates a source.
    public init(url: String, headers: HTTPFields = [:]) {
        self.url = url
        self.headers = headers
    }
}
