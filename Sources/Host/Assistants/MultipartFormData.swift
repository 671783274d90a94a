import Foundation

/// A `multipart/form-data` body (RFC 7578) built in memory, for uploads that must never touch
/// the disk.
///
/// ```swift
/// var form = MultipartFormData()
/// form.addField("model", "whisper-1")
/// form.addFile("file", filename: "voice.m4a", contentType: "audio/mp4", bytes: audio)
/// request.headers[.contentType] = form.contentType
/// request.body = form.body
/// ```
struct MultipartFormData: Sendable {
    /// The boundary between parts: random, so it cannot occur in a field by design.
    let boundary: String
    private var parts: [UInt8] = []

    /// Creates an empty form with a random boundary.
    init(boundary: String = "sandra-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()) {
        self.boundary = boundary
    }

    /// The `Content-Type` header value.
    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// Adds a text field.
    mutating func addField(_ name: String, _ value: String) {
        appendPartHeader("Content-Disposition: form-data; name=\"\(Self.escaped(name))\"")
        parts += Array(value.utf8)
        parts += Array("\r\n".utf8)
    }

    /// Adds a file.
    mutating func addFile(_ name: String, filename: String, contentType: String, bytes: [UInt8]) {
        appendPartHeader("Content-Disposition: form-data; name=\"\(Self.escaped(name))\"; filename=\"\(Self.escaped(filename))\"",
                         "Content-Type: \(contentType)")
        parts += bytes
        parts += Array("\r\n".utf8)
    }

    /// The complete body, closing delimiter included.
    var body: [UInt8] {
        parts + Array("--\(boundary)--\r\n".utf8)
    }

    private mutating func appendPartHeader(_ lines: String...) {
        var header = "--\(boundary)\r\n"
        for line in lines { header += line + "\r\n" }
        header += "\r\n"
        parts += Array(header.utf8)
    }

    /// Quotes and line breaks cannot appear in a quoted header parameter.
    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\"", with: "%22").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }
}
