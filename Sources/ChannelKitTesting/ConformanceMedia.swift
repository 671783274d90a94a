import ChannelKit
import Crypto
import Foundation

/// A media file hosted by the fake platform for one check: the id the platform knows it by,
/// the URL it is served at, and the file.
///
/// The kit hosts media at the subject's path on ``FakePlatformAPI/mediaOrigin`` (or, to test
/// the allowlist, at a URL elsewhere); the subject points its deliveries at it the way the
/// platform does — by URL (Instagram, the example channel) or by media id, answered by a
/// lookup (WhatsApp) — and serves it in its wire format through
/// ``ChannelConformanceSubject/mediaResponse(to:hosted:)``.
public struct ConformanceMedia: Sendable, Hashable {
    /// The platform's media id.
    public var id: String
    /// Where the fake platform serves the bytes.
    public var url: String
    /// The file.
    public var file: ConformanceMediaFile

    /// Creates hosted media.
    public init(id: String, url: String, file: ConformanceMediaFile) {
        self.id = id
        self.url = url
        self.file = file
    }

    /// The bytes.
    public var bytes: [UInt8] { file.bytes }
    /// The MIME type the platform announces.
    public var mimeType: String { file.mimeType }
    /// The SHA-256 of the bytes in lowercase hex (WhatsApp's media lookup writes it so).
    public var sha256Hex: String { Hex.encode(Array(SHA256.hash(data: bytes))) }
    /// The SHA-256 of the bytes in base64 (WhatsApp's webhooks write it so).
    public var sha256Base64: String { Data(SHA256.hash(data: bytes)).base64EncodedString() }

    /// How a file server answers a `GET` of hosted media: `200` with the bytes and the file's
    /// MIME type for a hosted URL, `404` (an expired link) for another URL on the origin of a
    /// hosted file, `nil` for a request that is not a `GET` of one of those origins.
    /// - Parameters:
    ///   - request: the request.
    ///   - hosted: the media the fake platform hosts.
    public static func download(for request: OutboundHTTPRequest, from hosted: [ConformanceMedia]) -> OutboundHTTPResponse? {
        guard request.method == .get else { return nil }
        if let media = hosted.first(where: { $0.url == request.url }) {
            return OutboundHTTPResponse(status: .ok, headers: [.contentType: media.mimeType], body: media.bytes)
        }
        guard let origin = origin(of: request.url), hosted.contains(where: { Self.origin(of: $0.url) == origin }) else { return nil }
        return OutboundHTTPResponse(status: .notFound, headers: [.contentType: "text/plain"], body: Array("URL signature expired".utf8))
    }

    /// `scheme://host:port` of a URL, or `nil`.
    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host?.lowercased() else { return nil }
        return "\(scheme)://\(host):\(components.port ?? (scheme == "https" ? 443 : 80))"
    }
}
