import HTTPTypes

/// Where a channel's media is fetched from: a URL and the headers the platform requires
/// (WhatsApp wants a bearer token; Instagram's CDN wants none), and what the platform
/// announced about the file, when it announces anything (WhatsApp: its SHA-256 and size).
///
/// A platform whose links expire (WhatsApp's live minutes) also says how to get a fresh one:
/// ``renew``, which the fetcher calls once when the link answers 401, 403, 404 or 410.
///
/// ```swift
/// var source = MediaSource(url: lookup.url, headers: [.authorization: "Bearer \(token)"],
///                          expectedSHA256: digest, expectedByteCount: lookup.fileSize)
/// source.renew = { try await lookUpAgain(mediaID) }
/// ```
public struct MediaSource: Sendable {
    /// The absolute URL.
    public var url: String
    /// Headers sent to the URL's own host only, never to a host a redirect leads to.
    public var headers: HTTPFields
    /// The SHA-256 the downloaded bytes must have (32 bytes), when the platform announces one;
    /// a download that does not match is refused.
    public var expectedSHA256: [UInt8]?
    /// The size in bytes the download must have, when the platform announces one.
    public var expectedByteCount: Int?
    /// Looks the media up again for a fresh link, when the platform's links expire; `nil` when
    /// they do not (or cannot be renewed). ``MediaFetcher`` calls it at most once per download,
    /// after the link answered 401, 403, 404 or 410, and ignores the fresh source's own `renew`.
    public var renew: (@Sendable () async throws -> MediaSource)?

    /// Creates a source.
    public init(url: String, headers: HTTPFields = [:], expectedSHA256: [UInt8]? = nil, expectedByteCount: Int? = nil,
                renew: (@Sendable () async throws -> MediaSource)? = nil) {
        self.url = url
        self.headers = headers
        self.expectedSHA256 = expectedSHA256
        self.expectedByteCount = expectedByteCount
        self.renew = renew
    }
}
