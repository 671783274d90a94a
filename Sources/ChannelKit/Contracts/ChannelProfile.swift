/// A channel's capabilities, as data.
///
/// The renderer, the sender and the assistant's instructions all read the same profile, so a
/// channel states once what it accepts.
public struct ChannelProfile: Sendable, Hashable, Codable {
    /// The formatting dialect the platform displays.
    public var formatting: Formatting
    /// The longest text one message may carry, and every unit the platform counts it in.
    public var textLimit: TextLimit
    /// Whether the platform shows a typing indicator.
    public var supportsTypingIndicator: Bool
    /// Whether the channel's ``Channel/acknowledge(_:logger:)`` also marks the person's message
    /// read (WhatsApp), so the pipeline sends it at once. When it is only a typing indicator
    /// (the default), the pipeline sends it only once an answer takes longer than its typing
    /// delay: a reply that is ready at once needs no indicator, and one call fewer.
    public var acknowledgementMarksRead: Bool
    /// Quick-reply limits, or `nil` when the platform has none.
    public var quickReplies: QuickReplyLimits?
    /// Whether the platform accepts images in replies.
    public var supportsImages: Bool
    /// Hosts media may be fetched from (`*.` prefixes match subdomains).
    public var allowedMediaHosts: [String]
    /// How long after the person's last message replies are taken, and what goes outside that
    /// window; `nil` when the platform has no such window.
    public var replyWindow: ReplyWindow?

    /// Formatting dialects.
    public enum Formatting: String, Sendable, Hashable, Codable, CaseIterable {
        /// No markup at all: Markdown is turned into readable plain text.
        case plain
        /// WhatsApp's `*bold*`, `_italic_`, `~strike~`, monospace.
        case whatsapp
        /// CommonMark passed through.
        case markdown
    }

    /// Creates a profile.
    public init(formatting: Formatting, textLimit: TextLimit, supportsTypingIndicator: Bool = false,
                acknowledgementMarksRead: Bool = false,
                quickReplies: QuickReplyLimits? = nil, supportsImages: Bool = false, allowedMediaHosts: [String] = [],
                replyWindow: ReplyWindow? = nil) {
        self.formatting = formatting
        self.textLimit = textLimit
        self.supportsTypingIndicator = supportsTypingIndicator
        self.acknowledgementMarksRead = acknowledgementMarksRead
        self.quickReplies = quickReplies
        self.supportsImages = supportsImages
        self.allowedMediaHosts = allowedMediaHosts
        self.replyWindow = replyWindow
    }
}

/// A maximum text length and every unit the platform counts it in.
///
/// A text fits when it is within ``maximum`` in each of ``units``: WhatsApp's 4096 is counted
/// by Graph in code points or UTF-16 code units (it depends on where), so its limit lists both
/// and a part fits however it is counted.
public struct TextLimit: Sendable, Hashable, Codable {
    /// The maximum, in each of ``units``.
    public var maximum: Int
    /// Every unit the length is measured in; never empty, no unit twice.
    public private(set) var units: [Unit]

    /// The first of ``units``: the one the limit is stated in to people (bytes, characters).
    public var unit: Unit { units[0] }

    /// Units of length.
    public enum Unit: String, Sendable, Hashable, Codable, CaseIterable {
        /// UTF-8 bytes (Instagram: 1000).
        case utf8Bytes
        /// Unicode scalars (code points).
        case unicodeScalars
        /// UTF-16 code units.
        case utf16CodeUnits
        /// User-perceived characters (grapheme clusters).
        case characters
    }

    /// Creates a limit counted in one unit.
    public init(maximum: Int, unit: Unit) {
        self.init(maximum: maximum, units: [unit])
    }

    /// Creates a limit that a text must keep in every one of `units`.
    public init(maximum: Int, units: [Unit]) {
        precondition(maximum > 0, "a text limit must be positive")
        precondition(!units.isEmpty, "a text limit needs a unit")
        self.maximum = maximum
        var seen: Set<Unit> = []
        self.units = units.filter { seen.insert($0).inserted }
    }

    private enum CodingKeys: String, CodingKey { case maximum, units }

    /// Decodes a limit, refusing one with no unit or a maximum below 1.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let maximum = try container.decode(Int.self, forKey: .maximum)
        let units = try container.decode([Unit].self, forKey: .units)
        guard maximum > 0, !units.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .units, in: container,
                                                   debugDescription: "a text limit needs a positive maximum and a unit")
        }
        self.init(maximum: maximum, units: units)
    }

    /// The same units with another maximum.
    public func withMaximum(_ maximum: Int) -> TextLimit {
        TextLimit(maximum: maximum, units: units)
    }

    /// The length of `text`: the largest of its lengths in ``units``.
    public func length<S: StringProtocol>(of text: S) -> Int {
        units.map { length(of: text, in: $0) }.max() ?? 0
    }

    /// The length of `text` in `unit`.
    public func length<S: StringProtocol>(of text: S, in unit: Unit) -> Int {
        switch unit {
        case .utf8Bytes: text.utf8.count
        case .unicodeScalars: text.unicodeScalars.count
        case .utf16CodeUnits: text.utf16.count
        case .characters: text.count
        }
    }

    /// Whether `text` fits: within ``maximum`` in every one of ``units``.
    public func fits<S: StringProtocol>(_ text: S) -> Bool { length(of: text) <= maximum }
}

/// How many quick replies a platform shows and how long their titles may be.
public struct QuickReplyLimits: Sendable, Hashable, Codable {
    /// The most quick replies in one message.
    public var maximumCount: Int
    /// The longest title, in characters.
    public var maximumTitleLength: Int

    /// Creates limits.
    public init(maximumCount: Int, maximumTitleLength: Int) {
        self.maximumCount = maximumCount
        self.maximumTitleLength = maximumTitleLength
    }
}
