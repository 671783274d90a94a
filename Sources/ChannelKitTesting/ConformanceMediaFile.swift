/// A media file the conformance kit has the fake platform serve: its bytes (built in memory by
/// ``MediaFixtures``) and the MIME type the platform announces for it.
public struct ConformanceMediaFile: Sendable, Hashable {
    /// The bytes.
    public var bytes: [UInt8]
    /// The MIME type the platform announces (`image/png`, `audio/ogg; codecs=opus`).
    public var mimeType: String

    /// Creates a file.
    public init(bytes: [UInt8], mimeType: String) {
        self.bytes = bytes
        self.mimeType = mimeType
    }

    /// A small PNG photo (3×2).
    public static let photo = ConformanceMediaFile(bytes: MediaFixtures.png(width: 3, height: 2), mimeType: "image/png")

    /// A JPEG photo larger than `limit` bytes.
    public static func photo(largerThan limit: Int) -> ConformanceMediaFile {
        ConformanceMediaFile(bytes: MediaFixtures.jpeg(filler: limit), mimeType: "image/jpeg")
    }

    /// A voice note in an MP4 container with one sound track, as Instagram and iOS record them.
    public static let mp4VoiceNote = ConformanceMediaFile(bytes: MediaFixtures.mp4(milliseconds: 2_500), mimeType: "audio/mp4")

    /// A voice note in Ogg Opus, as WhatsApp records them.
    public static let oggOpusVoiceNote = ConformanceMediaFile(bytes: MediaFixtures.oggOpus(), mimeType: "audio/ogg; codecs=opus")
}
