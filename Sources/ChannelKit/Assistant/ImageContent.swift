import Foundation

/// An image of a person's message, held in memory for one turn.
public struct ImageContent: Sendable, Hashable {
    /// The bytes, exactly as downloaded.
    public var bytes: [UInt8]
    /// The format, sniffed from the bytes (JPEG, PNG, GIF or WebP).
    public var format: MediaFormat
    /// The size in pixels, when the header says.
    public var pixelSize: PixelSize?

    /// Creates an image.
    public init(bytes: [UInt8], format: MediaFormat, pixelSize: PixelSize? = nil) {
        self.bytes = bytes
        self.format = format
        self.pixelSize = pixelSize
    }

    /// The MIME type (`image/jpeg`).
    public var mimeType: String { format.mimeType }

    /// A `data:` URL with the bytes in base64, as OpenAI-compatible vision APIs take images.
    public var dataURL: String {
        "data:\(mimeType);base64," + Data(bytes).base64EncodedString()
    }

    /// `[image: image/jpeg, 640×480, 123 KB]`: how history and notes describe the image.
    public var note: String {
        var parts = [mimeType]
        if let pixelSize { parts.append(pixelSize.description) }
        parts.append(MediaData.sizeText(bytes.count))
        return "[image: \(parts.joined(separator: ", "))]"
    }
}
