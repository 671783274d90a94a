import ChannelKit
import HTTPTypes
import Logging
import MetaPlatform

extension WhatsAppChannel {
    /// The most bytes a media download takes by default: WhatsApp's largest inbound media
    /// type other than documents (audio and video, 16 MB).
    public static let defaultMediaByteLimit = 16 * 1024 * 1024

    /// Looks a media attachment up: `GET <graph>/<version>/<media-id>` with the bearer token,
    /// which answers `{"url","mime_type","sha256","file_size","id"}`.
    ///
    /// The URL lives 5 minutes; fetch it at once with ``WhatsAppMediaLocation/request``.
    /// - Parameters:
    ///   - attachment: an attachment of this channel's events (it carries a media id).
    ///   - maxBytes: the largest media accepted; the request is capped to it.
    ///   - logger: where to log (never the URL or the token).
    /// - Returns: the location.
    /// - Throws: ``ChannelError`` `.permanent` for an attachment without a media id, a lookup
    ///   without a URL, or media announced larger than `maxBytes`; Graph failures as
    ///   ``send(_:to:logger:)`` classifies them.
    public func mediaLocation(for attachment: Attachment, maxBytes: Int = defaultMediaByteLimit, logger: Logger) async throws -> WhatsAppMediaLocation {
        guard let mediaID = attachment.mediaID, !mediaID.isEmpty, !mediaID.contains("/"), !mediaID.contains("?") else {
            throw ChannelError.permanent("whatsapp media: the attachment has no usable media id")
        }
        let lookup = try await graph.get(mediaID, logger: logger)
        guard let url = lookup["url"]?.stringValue, url.hasPrefix("https://") || url.hasPrefix("http://") else {
            throw ChannelError.permanent("whatsapp media: the lookup returned no download URL")
        }
        let fileSize = lookup["file_size"]?.integerValue.flatMap { Int(exactly: $0) }
        if let fileSize, fileSize > maxBytes {
            throw ChannelError.permanent("whatsapp media: \(fileSize) bytes is over the \(maxBytes)-byte limit")
        }
        let request = graph.authorizedDownload(url: url, maxResponseBytes: maxBytes, timeout: .seconds(60))
        return WhatsAppMediaLocation(mediaID: mediaID, url: url, mimeType: lookup["mime_type"]?.stringValue,
                                     sha256: lookup["sha256"]?.stringValue, fileSize: fileSize, request: request)
    }

    /// How to fetch a media attachment: the lookup done, the `GET` of the download URL with
    /// the bearer token. The hook media preparation calls.
    /// - Parameters:
    ///   - attachment: an attachment of this channel's events.
    ///   - maxBytes: the largest media accepted.
    ///   - logger: where to log.
    /// - Returns: the download request.
    /// - Throws: as ``mediaLocation(for:maxBytes:logger:)`` does.
    public func mediaRequest(for attachment: Attachment, maxBytes: Int = defaultMediaByteLimit, logger: Logger) async throws -> OutboundHTTPRequest {
        try await mediaLocation(for: attachment, maxBytes: maxBytes, logger: logger).request
    }

    /// Where the pipeline's media step fetches an attachment: the lookup done, the returned URL
    /// with the bearer token, and the SHA-256 and size the lookup announced, which the fetcher
    /// checks. The size cap is the media policy's, enforced by the fetcher (so a file over it
    /// gets the "too large" answer). The URL lives 5 minutes: when it answers 401, 403, 404 or
    /// 410 the fetcher calls the source's ``MediaSource/renew``, which looks the media id up
    /// again for a fresh URL (once).
    /// - Parameters:
    ///   - attachment: an attachment of this channel's events (it carries a media id).
    ///   - logger: where to log (never the URL or the token).
    /// - Returns: the source.
    /// - Throws: ``ChannelError`` `.permanent` for an attachment without a media id, or a lookup
    ///   without a URL or a readable SHA-256; Graph failures as ``send(_:to:logger:)`` classifies them.
    public func mediaSource(for attachment: Attachment, logger: Logger) async throws -> MediaSource? {
        var source = try await lookedUpSource(for: attachment, logger: logger)
        source.renew = { [self] in
            logger.debug("whatsapp media: the download URL was refused; looking the media up again")
            return try await lookedUpSource(for: attachment, logger: logger)
        }
        return source
    }

    /// A fresh lookup of `attachment` as a media source (without ``MediaSource/renew``).
    private func lookedUpSource(for attachment: Attachment, logger: Logger) async throws -> MediaSource {
        let location = try await mediaLocation(for: attachment, maxBytes: .max, logger: logger)
        guard let digest = location.sha256Digest else {
            throw ChannelError.permanent("whatsapp media: the lookup announced no readable sha256")
        }
        var headers = HTTPFields()
        headers[.authorization] = location.request.headers[.authorization]
        return MediaSource(url: location.url, headers: headers, expectedSHA256: digest, expectedByteCount: location.fileSize)
    }

    /// Downloads a media attachment and checks it: the lookup, the download with the bearer
    /// token (looked up again once when the URL has expired), and the SHA-256.
    /// - Parameters:
    ///   - attachment: an attachment of this channel's events.
    ///   - maxBytes: the largest media accepted.
    ///   - logger: where to log.
    /// - Returns: the bytes and the MIME type Meta announced.
    /// - Throws: ``ChannelError`` `.permanent` when the bytes do not match the announced
    ///   SHA-256 or size, or as ``mediaLocation(for:maxBytes:logger:)`` does.
    public func downloadMedia(for attachment: Attachment, maxBytes: Int = defaultMediaByteLimit, logger: Logger) async throws -> (bytes: [UInt8], mimeType: String?) {
        var location = try await mediaLocation(for: attachment, maxBytes: maxBytes, logger: logger)
        let response: OutboundHTTPResponse
        do {
            response = try await graph.execute(location.request, path: "media download", logger: logger)
        } catch let error as ChannelError where error.code == .permanent {
            // An expired URL answers 404: look the media up again, once.
            logger.debug("whatsapp media: download refused; looking the media up again")
            location = try await mediaLocation(for: attachment, maxBytes: maxBytes, logger: logger)
            response = try await graph.execute(location.request, path: "media download", logger: logger)
        }
        guard location.verify(response.body) else {
            throw ChannelError.permanent("whatsapp media: the download does not match the announced sha256 and size")
        }
        return (response.body, location.mimeType)
    }
}
