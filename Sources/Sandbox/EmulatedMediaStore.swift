import ChannelKit
import Crypto
import Foundation

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
