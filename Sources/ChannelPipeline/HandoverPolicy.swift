import Foundation

/// When Sandra steps back for a person of the business, and for how long.
///
/// A reply from a person of the business (an echo that was not this host's) pauses Sandra in
/// the conversation for ``pause(for:)``, counted from that reply; each further one extends it.
/// A person who asks for a person (one of ``requestPhrases``) is told ``requestReply`` and
/// Sandra pauses for ``requestPause``, or until an operator resumes it.
public struct HandoverPolicy: Sendable, Hashable {
    /// How long a person of the business's reply pauses Sandra, unless the channel has its own.
    public var pause: Duration
    /// The channels with a pause of their own, by configured name.
    public var pauseByChannel: [String: Duration]
    /// What a person writes to ask for a person (matched as whole words, ignoring case and
    /// punctuation, anywhere in the message). Empty: never.
    public var requestPhrases: [String] {
        didSet { phraseWords = Self.words(of: requestPhrases) }
    }
    /// What Sandra answers such a request with (Markdown).
    public var requestReply: String
    /// How long Sandra stays quiet after such a request, waiting for a person of the business.
    public var requestPause: Duration
    /// ``requestPhrases`` normalized (``normalizedBytes(_:)``), once, not for every message.
    private var phraseWords: [[UInt8]]

    /// The phrases that ask for a person unless configured otherwise.
    public static let defaultRequestPhrases = [
        "talk to a person", "talk to a human", "speak to a person", "speak to a human", "real person", "human agent",
        "talk to someone", "speak to someone",
    ]

    /// Creates a policy.
    public init(pause: Duration = .seconds(30 * 60), pauseByChannel: [String: Duration] = [:],
                requestPhrases: [String] = HandoverPolicy.defaultRequestPhrases,
                requestReply: String = "Of course: I've asked a person from our team to take over. They'll answer you here.",
                requestPause: Duration = .seconds(24 * 3600)) {
        self.pause = pause
        self.pauseByChannel = pauseByChannel
        self.requestPhrases = requestPhrases
        self.requestReply = requestReply
        self.requestPause = requestPause
        self.phraseWords = Self.words(of: requestPhrases)
    }

    /// The pause a person of the business's reply starts on `channel`.
    public func pause(for channel: String) -> Duration {
        pauseByChannel[channel] ?? pause
    }

    /// Whether `text` asks for a person.
    public func asksForPerson(_ text: String) -> Bool {
        guard !phraseWords.isEmpty, !text.isEmpty else { return false }
        let words = Self.normalizedBytes(text)
        return phraseWords.contains { phrase in Self.containsWords(phrase, in: words) }
    }

    private static func words(of phrases: [String]) -> [[UInt8]] {
        phrases.map(normalizedBytes).filter { !$0.isEmpty }
    }

    /// Lower-case words separated by single spaces, as UTF-8: letters and digits kept,
    /// apostrophes dropped, anything else a break. ASCII text byte by byte (every message is
    /// read here, so most never meet the `Character` path), other text by its characters.
    private static func normalizedBytes(_ text: String) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        func append(_ bytes: some Sequence<UInt8>) {
            if pendingSpace, !result.isEmpty { result.append(UInt8(ascii: " ")) }
            pendingSpace = false
            result.append(contentsOf: bytes)
        }
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): append(CollectionOfOne(byte))
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): append(CollectionOfOne(byte + 32))
                case UInt8(ascii: "'"): break
                default: pendingSpace = true
                }
            }
            return result
        }
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                append(character.utf8)
            } else if character != "'" && character != "’" {
                pendingSpace = true
            }
        }
        return result
    }

    /// Whether `phrase` (normalized) stands in `words` (normalized) as whole words.
    private static func containsWords(_ phrase: [UInt8], in words: [UInt8]) -> Bool {
        guard !phrase.isEmpty, phrase.count <= words.count else { return false }
        let space = UInt8(ascii: " ")
        var start = 0
        while start + phrase.count <= words.count {
            if (start == 0 || words[start - 1] == space),
               start + phrase.count == words.count || words[start + phrase.count] == space,
               words[start..<(start + phrase.count)].elementsEqual(phrase) {
                return true
            }
            // The next word.
            guard let next = words[start...].firstIndex(of: space) else { return false }
            start = next + 1
        }
        return false
    }
}
