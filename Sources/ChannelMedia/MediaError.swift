import ChannelKit
/// Why media could not be fetched, read or transcribed.
///
/// Messages name hosts, never full URLs (Meta's CDN URLs carry signatures) and never content.
public struct MediaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, without associated values; safe as a metric label.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The URL cannot be parsed, has no host, or carries credentials.
        case invalidURL
        /// Plain `http` (or another scheme) for an allowlisted host not named in
        /// `media_allow_http_hosts`.
        case insecureScheme
        /// A host outside the channel's allowlist (whatever the URL's scheme), or an allowlisted
        /// host on a port other than 443.
        case disallowedHost
        /// The host resolves to a loopback, private, link-local or otherwise non-public address.
        case privateAddress
        /// More redirects than allowed, or a redirect without a usable `Location`.
        case tooManyRedirects
        /// The body is larger than the cap.
        case tooLarge
        /// No complete answer within the timeout.
        case timeout
        /// The server answered with an error status; 403, 404 and 410 mean the link expired.
        case unavailable
        /// The connection could not be made or broke.
        case connectionFailed
        /// The bytes are not a supported format.
        case unsupportedType
        /// The bytes do not match the SHA-256 or the size the platform announced.
        case integrityMismatch
        /// The transcription server failed or answered something unreadable.
        case transcriptionFailed
    }

    /// The kind of failure.
    public var code: Code
    /// A description for operators.
    public var message: String
    /// The HTTP status, for ``Code/unavailable``.
    public var httpStatus: Int?

    /// Creates an error.
    public init(_ code: Code, _ message: String, httpStatus: Int? = nil) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
    }

    /// Whether the platform's link no longer serves the media (403, 404, 410).
    public var isExpired: Bool {
        code == .unavailable && [403, 404, 410].contains(httpStatus ?? 0)
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
