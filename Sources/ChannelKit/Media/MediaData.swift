/// Downloaded media, in memory only: never written to disk, to the store or to logs, and
/// released with the turn that uses it.
public struct MediaData: Sendable, Hashable {
    /// The bytes.
    public var bytes: [UInt8]
    /// The format, sniffed from ``bytes``.
    public var format: MediaFormat

    /// Creates media data.
    public init(bytes: [UInt8], format: MediaFormat) {
        self.bytes = bytes
        self.format = format
    }

    /// The size in bytes.
    public var byteCount: Int { bytes.count }

    /// `123 KB`, `4.2 MB`, for notes and replies.
    public static func sizeText(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) bytes" }
        if bytes < 1024 * 1024 { return "\((bytes + 512) / 1024) KB" }
        let tenths = (bytes * 10 + 512 * 1024) / (1024 * 1024)
        return tenths % 10 == 0 ? "\(tenths / 10) MB" : "\(tenths / 10).\(tenths % 10) MB"
    }
}
