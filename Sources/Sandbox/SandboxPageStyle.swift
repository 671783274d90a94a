/// What a platform's sandbox page says and how it looks: the per-channel part of
/// ``SandboxPage``, which is one skeleton for every platform.
public struct SandboxPageStyle: Sendable {
    /// How the page answers a tap on an offered reply.
    public enum Choice: String, Sendable {
        /// `{"text": title, "quick_reply_payload": payload}` (Instagram, Messenger).
        case quickReply = "quick_reply"
        /// `{"reply_id", "reply_title", "context_id"}` (WhatsApp reply buttons).
        case button
    }

    /// How an attached file is sent after its upload.
    public enum Upload: String, Sendable {
        /// `"attachments": [{"type": "image"|"audio", "media_id"}]` beside the text.
        case attachments
        /// `"media_id", "media_type"` with the text as the caption.
        case mediaID = "media_id"
    }

    /// The platform's name (`Instagram`): the title, the `User-Agent` of deliveries.
    public var platform: String
    /// The line under Sandra's name.
    public var subtitle: String
    /// The label of the person's id field.
    public var userLabel: String
    /// New person ids: this prefix and `userIDDigits` random digits.
    public var userIDPrefix: String
    /// See ``userIDPrefix``.
    public var userIDDigits: Int
    /// The notice under the header: what the emulator does.
    public var banner: String
    /// The platform's colours and shapes, CSS appended to the skeleton's.
    public var css: String
    /// The send button's label.
    public var sendLabel = "Send"
    /// How a tap on an offered reply is sent.
    public var choice: Choice = .quickReply
    /// How an attached file is sent.
    public var upload: Upload = .attachments
    /// Whether replies are shown with WhatsApp's `*bold*`, `_italic_`, `~strike~` and
    /// ```` ``` ```` formatting.
    public var whatsAppFormatting = false
    /// Whether the person's messages show ticks that turn blue on a read receipt.
    public var readTicks = false
    /// How long a typing indicator shows, in seconds.
    public var typingSeconds = 20
    /// The longest message the text box takes, in characters.
    public var textLimit = 4000

    /// Creates a style.
    public init(platform: String, subtitle: String, userLabel: String, userIDPrefix: String, userIDDigits: Int, banner: String, css: String) {
        self.platform = platform
        self.subtitle = subtitle
        self.userLabel = userLabel
        self.userIDPrefix = userIDPrefix
        self.userIDDigits = userIDDigits
        self.banner = banner
        self.css = css
    }
}
