/// A channel's capabilities, as data.
///
/// The renderer, the sender and the assistant's instructions all read the same profile, so a
/// channel states once what it accepts.
public struct ChannelProfile: Sendable, Hashable, Codable {
    /// The formatting dialect the platform displays.
    public var formatting: Formatting
    /// The longest text one message may carry.
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
                quickReplies: QuickReplyLimits? = nil, supportsImages: Bool = false, allowedMediaHosts: [String] = []) {
        self.formatting = formatting
        self.textLimit = textLimit
        self.supportsTypingIndicator = supportsTypingIndicator
        self.acknowledgementMarksRead = acknowledgementMarksRead
        self.quickReplies = quickReplies
        self.supportsImages = supportsImages
        self.allowedMediaHosts = allowedMediaHosts
    }
}

/// A maximum text length and the unit it is measured in.
public struct TextLimit: Sendable, Hashable, Codable {
    /// The maximum, in ``unit``s.
    public var maximum: Int
    /// How length is measured.
    public var unit: Unit

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

    /// Creates a limit.
    public init(maximum: Int, unit: Unit) {
        precondition(maximum > 0, "a text limit must be positive")
        self.maximum = maximum
        self.unit = unit
    }

    /// The length of `text` in this limit's unit.
    public func length<S: StringProtocol>(of text: S) -> Int {
        switch unit {
        case .utf8Bytes: text.utf8.count
        case .unicodeScalars: text.unicodeScalars.count
        case .utf16CodeUnits: text.utf16.count
        case .characters: text.count
        }
    }

    /// Whether `text` fits.
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
