import ChannelKit
import Foundation

/// What the store keeps of one conversation whose reply window closed on WhatsApp: the parts
/// held back until the person writes again, and when the re-engagement template went.
///
/// Kept as JSON in the shared state (scope ``scope``, key ``ConversationKey/storeKey``), so that every
/// host of the store sees one record: the worker holding the conversation's claim sends the
/// held parts before its own reply, each exactly once.
struct ReplyWindowHold: Sendable, Hashable, Codable {
    /// The shared-state scope.
    static let scope = "reply-window"
    /// How long a hold is kept when the person never writes again.
    static let lifetime: TimeInterval = 30 * 24 * 3600

    /// Parts of one answered message, held back.
    struct Held: Sendable, Hashable, Codable {
        /// The inbox item the parts answer.
        var inboxID: Int64
        /// The parts' ids, in order.
        var partIDs: [String]
    }

    /// The held parts, by inbox item, oldest first.
    var held: [Held] = []
    /// When the template went (milliseconds since 1970), or `nil` when none did since the
    /// person last wrote.
    var templateSentAtMs: Int64?

    /// The hold stored as `text`, or an empty one for `nil` or text that is not one.
    static func decode(_ text: String?) -> ReplyWindowHold {
        guard let text, let hold = try? JSONDecoder().decode(ReplyWindowHold.self, from: Data(text.utf8)) else { return ReplyWindowHold() }
        return hold
    }

    /// The hold as stored text; `nil` (delete) when nothing is held.
    func encoded() -> String? {
        guard !held.isEmpty, let data = try? JSONEncoder().encode(self) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Adds parts to hold, keeping inbox items in order and no part twice.
    mutating func hold(_ partIDs: [String], of inboxID: Int64) {
        if let index = held.firstIndex(where: { $0.inboxID == inboxID }) {
            held[index].partIDs += partIDs.filter { !held[index].partIDs.contains($0) }
        } else {
            held.append(Held(inboxID: inboxID, partIDs: partIDs))
            held.sort { $0.inboxID < $1.inboxID }
        }
    }

    /// Removes a part that went.
    mutating func release(_ partID: String, of inboxID: Int64) {
        guard let index = held.firstIndex(where: { $0.inboxID == inboxID }) else { return }
        held[index].partIDs.removeAll { $0 == partID }
        if held[index].partIDs.isEmpty { held.remove(at: index) }
    }

    /// Whether a template is due: none went since the person's last message at `lastInbound`.
    func templateDue(lastInbound: Date) -> Bool {
        guard let templateSentAtMs else { return true }
        return Double(templateSentAtMs) / 1000 < lastInbound.timeIntervalSince1970
    }
}
