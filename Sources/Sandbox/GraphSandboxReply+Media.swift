import ChannelKit
import ChannelMedia
import Foundation
import HTTPTypes

extension GraphSandboxReply {
    /// The policy of an uploaded file served back by a Meta sandbox's emulated CDN, whose URL
    /// is on the host's own origin (the admin portal's too): the bytes are never served as
    /// something a browser runs.
    ///
    /// ```swift
    /// return GraphSandboxReply.media(stored.bytes, declaredType: stored.contentType)
    /// ```
    ///
    /// - The type is the one the file was uploaded with only when the bytes are a picture, a
    ///   sound or a movie (sniffed, see ``MediaSniffer``) and the declared type is of the same
    ///   kind (`image/…` for a picture, `audio/…` or `video/…` for sound: Instagram serves
    ///   voice notes as `video/mp4`); otherwise the sniffed type, and for anything unrecognised
    ///   `application/octet-stream`. HTML, SVG or script never get their own type back.
    /// - `X-Content-Type-Options: nosniff`, `Content-Disposition: attachment` and
    ///   `Content-Security-Policy: default-src 'none'; sandbox` make a browser that opens the
    ///   URL download the file, or at worst show it with no script and no access to the origin.
    /// - Parameters:
    ///   - bytes: the file.
    ///   - declaredType: the `Content-Type` (or `mime_type`) it was uploaded with.
    public static func media(_ bytes: [UInt8], declaredType: String?) -> SandboxResponse {
        SandboxResponse(status: .ok, headers: [
            .contentType: servedMediaType(declared: declaredType, bytes: bytes),
            .cacheControl: "no-store",
            .xContentTypeOptions: "nosniff",
            .contentDisposition: "attachment",
            .contentSecurityPolicy: mediaContentSecurityPolicy,
        ], body: bytes)
    }

    /// The `Content-Security-Policy` of a served upload: nothing loads, nothing runs.
    public static let mediaContentSecurityPolicy = "default-src 'none'; sandbox"

    /// The `Content-Type` an upload is served with (see ``media(_:declaredType:)``).
    /// - Parameters:
    ///   - declared: the type it was uploaded with, if any.
    ///   - bytes: the file.
    /// - Returns: a picture, sound or movie type, or `application/octet-stream`.
    public static func servedMediaType(declared: String?, bytes: [UInt8]) -> String {
        guard let format = MediaSniffer.format(of: bytes) else { return "application/octet-stream" }
        let kinds: Set<Substring> = format.category == .image ? ["image"] : ["audio", "video"]
        if let declared, let essence = passiveEssence(declared), let kind = essence.split(separator: "/").first, kinds.contains(kind) {
            return declared
        }
        return format.mimeType
    }

    /// The lowercased `type/subtype` of `declared` when the whole value is plain (printable
    /// ASCII, no quotes, at most 100 bytes) and names a picture, sound or movie a browser does
    /// not run: never SVG or anything XML- or HTML-based.
    private static func passiveEssence(_ declared: String) -> String? {
        guard declared.utf8.count <= 100, declared.utf8.allSatisfy({ (0x20...0x7E).contains($0) && $0 != 0x22 && $0 != 0x5C }) else {
            return nil
        }
        let essence = declared.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
            .trimmingCharacters(in: .whitespaces).lowercased()
        let parts = essence.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, ["image", "audio", "video"].contains(parts[0]), !parts[1].isEmpty,
              parts[1].allSatisfy({ $0.isLetter || $0.isNumber || ".+-_".contains($0) }),
              !["svg", "xml", "html"].contains(where: { parts[1].contains($0) })
        else { return nil }
        return essence
    }
}
