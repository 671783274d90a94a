import ChannelKit
import Crypto
import Foundation

/// How an emulator keeps uploaded files and how the host gets one back.
public struct EmulatedMediaPolicy: Sendable {
    /// How the host fetches a file the person sent.
    public enum Access: Sendable {
        /// The webhook carries a CDN URL anyone may fetch (Instagram, Messenger); it stops
        /// working once the file is forgotten.
        case openURL
        /// The webhook carries a media id; `GET /graph/<version>/<id>` with the bearer token
        /// answers a signed URL that lives `lifetime` seconds and needs the token too (WhatsApp).
        case graphLookup(lifetime: TimeInterval)
    }

    /// The largest file.
    public var uploadLimit: Int
    /// Bytes kept in all.
    public var memoryLimit: Int
    /// Files kept.
    public var countLimit: Int
    /// How the host fetches a file.
    public var access: Access

    /// Creates a policy.
    public init(uploadLimit: Int, memoryLimit: Int, countLimit: Int, access: Access) {
        self.uploadLimit = uploadLimit
        self.memoryLimit = memoryLimit
        self.countLimit = countLimit
        self.access = access
    }
}
