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

/// The files people uploaded to an emulator, bounded by an ``EmulatedMediaPolicy``: the oldest
/// forgotten first. Nothing is written to disk.
struct EmulatedMediaStore: Sendable {
    let policy: EmulatedMediaPolicy
    private(set) var items: [String: EmulatedMediaItem] = [:]
    private var order: [String] = []
    private var bytes = 0

    init(policy: EmulatedMediaPolicy) { self.policy = policy }

    /// Keeps a file; returns its new id (a Graph-style number).
    mutating func add(_ body: [UInt8], contentType declared: String?) -> String {
        var contentType = declared ?? "application/octet-stream"
        if contentType.utf8.count > 100 || contentType.contains(where: \.isNewline) { contentType = "application/octet-stream" }
        let id = String(1_000_000_000_000_000 + Int64.random(in: 0..<8_999_999_999_999_999))
        items[id] = EmulatedMediaItem(bytes: body, contentType: contentType, sha256: Array(SHA256.hash(data: body)))
        order.append(id)
        bytes += body.count
        while order.count > policy.countLimit || bytes > policy.memoryLimit, order.count > 1 {
            bytes -= items.removeValue(forKey: order.removeFirst())?.bytes.count ?? 0
        }
        return id
    }

    mutating func reset() {
        self = EmulatedMediaStore(policy: policy)
    }
}

/// Signs and checks the emulated CDN's expiring URLs (``EmulatedMediaPolicy/Access/graphLookup(lifetime:)``).
struct MediaURLSigner: Sendable {
    private let key = SymmetricKey(size: .bits256)

    /// The hex HMAC of `id:expires`.
    func signature(_ id: String, _ expires: Int64) -> String {
        Self.hex(Array(HMAC<SHA256>.authenticationCode(for: Array("\(id):\(expires)".utf8), using: key)))
    }

    /// Checks a URL's `sig` in constant time.
    func isValid(_ sig: String, _ id: String, _ expires: Int64) -> Bool {
        guard sig.utf8.count == 64 else { return false }
        var bytes: [UInt8] = []
        var index = sig.startIndex
        while index < sig.endIndex {
            let next = sig.index(index, offsetBy: 2)
            guard let byte = UInt8(sig[index..<next], radix: 16) else { return false }
            bytes.append(byte)
            index = next
        }
        return HMAC<SHA256>.isValidAuthenticationCode(bytes, authenticating: Array("\(id):\(expires)".utf8), using: key)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
