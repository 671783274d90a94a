import ChannelKit
import Crypto
import Foundation

/// An uploaded file, in memory.
public struct EmulatedMediaItem: Sendable {
    /// The bytes.
    public var bytes: [UInt8]
    /// The type it was uploaded with.
    public var contentType: String
    /// Its SHA-256.
    public var sha256: [UInt8]

    /// `image/jpeg, 12 KB`.
    public var label: String { "\(contentType), \(MediaData.sizeText(bytes.count))" }
}
