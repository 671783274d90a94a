import ChannelKit
import Crypto
import Foundation

/// Where a WhatsApp media item can be downloaded, as the media lookup
/// (`GET /<version>/<media-id>`) said: a URL that lives 5 minutes and must be fetched with
/// the bearer token, the MIME type, the size and the SHA-256 the bytes must have.
///
/// ```swift
/// let location = try await channel.mediaLocation(for: attachment, logger: logger)
/// let response = try await http.execute(location.request)      // GET url, Authorization: Bearer …
/// guard location.verify(response.body) else { … }                 // sha256 as announced
/// ```
public struct WhatsAppMediaLocation: Sendable {
    /// The media id the lookup was for.
    public var mediaID: String
    /// The download URL (expires 5 minutes after the lookup).
    public var url: String
    /// The MIME type Meta announced (`image/jpeg`, `audio/ogg; codecs=opus`).
    public var mimeType: String?
    /// The SHA-256 Meta announced, hex or base64 as Meta wrote it.
    public var sha256: String?
    /// The size in bytes Meta announced.
    public var fileSize: Int?
    /// The download: `GET url` with the bearer token, capped at the size limit asked for.
    public var request: OutboundHTTPRequest

    /// Creates a location.
    public init(mediaID: String, url: String, mimeType: String?, sha256: String?, fileSize: Int?, request: OutboundHTTPRequest) {
        self.mediaID = mediaID
        self.url = url
        self.mimeType = mimeType
        self.sha256 = sha256
        self.fileSize = fileSize
        self.request = request
    }

    /// The 32 bytes of the announced ``sha256``, or `nil` when none was announced or it is
    /// neither hex nor base64.
    public var sha256Digest: [UInt8]? {
        sha256.flatMap { Self.decodeDigest($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// Whether downloaded bytes are the announced media: their SHA-256 matches ``sha256``
    /// (and their count ``fileSize``, when announced). `false` when no SHA-256 was announced.
    /// - Parameter bytes: the downloaded body.
    public func verify(_ bytes: [UInt8]) -> Bool {
        if let fileSize, fileSize != bytes.count { return false }
        guard let sha256 else { return false }
        return Self.sha256(of: bytes, matches: sha256)
    }

    /// Whether `bytes` hash to `expected`, a SHA-256 written as 64 hex digits (the media
    /// lookup) or in base64 (webhooks). Anything else never matches.
    /// - Parameters:
    ///   - bytes: the data.
    ///   - expected: the announced digest.
    public static func sha256(of bytes: [UInt8], matches expected: String) -> Bool {
        guard let wanted = decodeDigest(expected.trimmingCharacters(in: .whitespaces)) else { return false }
        let actual = Array(SHA256.hash(data: bytes))
        // Not a secret, but compare every byte anyway.
        var difference: UInt8 = 0
        for (a, b) in zip(actual, wanted) { difference |= a ^ b }
        return difference == 0
    }

    /// The 32 bytes of a hex or base64 SHA-256, or `nil`.
    static func decodeDigest(_ text: String) -> [UInt8]? {
        if text.utf8.count == 64, let bytes = Hex.decode(text.utf8) {
            return bytes
        }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), data.count == SHA256.byteCount else { return nil }
        return Array(data)
    }
}
