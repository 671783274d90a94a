import Foundation

/// The echo replies of a burst of "s<sender> m<index>" messages, as the emulator received them:
/// how many copies of each, and each recipient's messages in the order their first replies came.
struct BurstReplies {
    /// Copies per reply ("You said: s3 m17" → 1, or 2 for a resent one).
    var copies: [String: Int] = [:]
    /// Per recipient, the message indexes in the order of their first replies.
    var firstSeen: [String: [Int]] = [:]
    /// Every send the emulator received, duplicates and other replies included.
    var sendCount = 0

    /// Waits until every one of `total` messages has a reply (duplicates also count as sends,
    /// so it asks for more until each has one), then tells them apart.
    static func collect(emulator: String, total: Int) async throws -> BurstReplies {
        var replies = BurstReplies()
        var minimum = total
        for _ in 0..<100 {
            let sent = try await DurabilityTests.sentTexts(emulator: emulator, minimum: minimum)
            replies = BurstReplies(sendCount: sent.count)
            for (recipient, text) in sent {
                guard let range = text.range(of: #"You said: s\d+ m(\d+)"#, options: .regularExpression) else { continue }
                let said = String(text[range])
                replies.copies[said, default: 0] += 1
                if replies.copies[said] == 1 {
                    replies.firstSeen[recipient, default: []].append(Int(said.split(separator: "m").last ?? "") ?? -1)
                }
            }
            if replies.copies.count >= total || sent.count < minimum { break }
            minimum = sent.count + (total - replies.copies.count)
        }
        return replies
    }

    /// The replies sent more than once.
    var duplicated: [Int] { copies.values.filter { $0 > 1 } }
}
