import Foundation

/// One normalized event from a platform: a message, a postback, or something that is
/// recorded but never answered.
public struct InboundEvent: Sendable, Hashable, Codable {
    /// The configured name of the channel that received it (`instagram`).
    public var channel: String
    /// The business account the event belongs to (Instagram: the professional account id).
    public var accountID: String
    /// The platform-scoped id of the person on the other side (Instagram: the IGSID).
    public var senderID: String
    /// The platform's id of this event; the deduplication key together with ``channel``.
    public var platformMessageID: String
    /// When the platform says the event happened.
    public var timestamp: Date
    /// What happened.
    public var kind: Kind

    /// The kinds of event.
    public enum Kind: Sendable, Hashable, Codable {
        /// A message from a person: answered.
        case message(InboundMessage)
        /// A button press (icebreaker, template button): answered.
        case postback(Postback)
        /// Recorded for the record and never answered.
        case ignored(IgnoredEvent)
    }

    /// Creates an event.
    public init(channel: String, accountID: String, senderID: String, platformMessageID: String, timestamp: Date, kind: Kind) {
        self.channel = channel
        self.accountID = accountID
        self.senderID = senderID
        self.platformMessageID = platformMessageID
        self.timestamp = timestamp
        self.kind = kind
    }

    /// The conversation this event belongs to.
    public var conversation: ConversationKey {
        ConversationKey(channel: channel, accountID: accountID, userID: senderID)
    }

    /// What stands in for text that was not kept.
    public static let redactedText = "[redacted]"

    /// The event with what the person typed replaced by ``redactedText``.
    public var redacted: InboundEvent {
        var copy = self
        switch kind {
        case .message(var message):
            if message.text != nil { message.text = Self.redactedText }
            if message.quickReplyPayload != nil { message.quickReplyPayload = Self.redactedText }
            copy.kind = .message(message)
        case .postback(var postback):
            if postback.title != nil { postback.title = Self.redactedText }
            if postback.payload != nil { postback.payload = Self.redactedText }
            copy.kind = .postback(postback)
        case .ignored:
            break
        }
        return copy
    }

    /// Whether the pipeline answers this event.
    public var isAnswerable: Bool {
        if case .ignored = kind { return false }
        return true
    }
}

/// A person's message.
public struct InboundMessage: Sendable, Hashable, Codable {
    /// The text, if any.
    public var text: String?
    /// Media and shares attached to the message, in the platform's order.
    public var attachments: [Attachment]
    /// The payload of the quick reply the person tapped; ``text`` then holds its title.
    public var quickReplyPayload: String?
    /// What the message replies to, if anything.
    public var replyTo: ReplyReference?
    /// The ad or link that opened the conversation, if any.
    public var referral: Referral?

    /// Creates a message.
    public init(text: String? = nil, attachments: [Attachment] = [], quickReplyPayload: String? = nil,
                replyTo: ReplyReference? = nil, referral: Referral? = nil) {
        self.text = text
        self.attachments = attachments
        self.quickReplyPayload = quickReplyPayload
        self.replyTo = replyTo
        self.referral = referral
    }
}

/// A piece of media or a share attached to a message.
public struct Attachment: Sendable, Hashable, Codable {
    /// The normalized kind.
    public var kind: Kind
    /// The platform's own type name (`image`, `ig_reel`, `story_mention`, …).
    public var platformType: String
    /// Where to fetch it, when the platform sends a URL (CDN URLs expire).
    public var url: String?
    /// A platform media id, when media is fetched by id (WhatsApp).
    public var mediaID: String?
    /// The MIME type the platform announced, if any; never trusted without sniffing.
    public var mimeType: String?
    /// A title or caption, when the platform sends one.
    public var title: String?

    /// Normalized attachment kinds.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case image, audio, video, file, sticker, share, story, reel, location, contact, unsupported, other
    }

    /// Creates an attachment.
    public init(kind: Kind, platformType: String, url: String? = nil, mediaID: String? = nil,
                mimeType: String? = nil, title: String? = nil) {
        self.kind = kind
        self.platformType = platformType
        self.url = url
        self.mediaID = mediaID
        self.mimeType = mimeType
        self.title = title
    }
}

/// What a message replies to.
public enum ReplyReference: Sendable, Hashable, Codable {
    /// An earlier message in the conversation.
    case message(id: String)
    /// A story (Instagram story replies).
    case story(id: String, url: String?)
}

/// The ad or link that brought a person into the conversation.
public struct Referral: Sendable, Hashable, Codable {
    /// The `ref` parameter of the link, if any.
    public var ref: String?
    /// Where the referral came from (`ADS`, `SHORTLINK`, …).
    public var source: String?
    /// The referral type (`OPEN_THREAD`).
    public var type: String?

    /// Creates a referral.
    public init(ref: String? = nil, source: String? = nil, type: String? = nil) {
        self.ref = ref
        self.source = source
        self.type = type
    }
}

/// A button press.
public struct Postback: Sendable, Hashable, Codable {
    /// The button's title as the person saw it.
    public var title: String?
    /// The payload the button carries.
    public var payload: String?
    /// The referral that came with it, if any.
    public var referral: Referral?

    /// Creates a postback.
    public init(title: String? = nil, payload: String? = nil, referral: Referral? = nil) {
        self.title = title
        self.payload = payload
        self.referral = referral
    }
}

/// An event that is recorded but never answered.
public struct IgnoredEvent: Sendable, Hashable, Codable {
    /// Why it is not answered.
    public var reason: Reason
    /// The platform message the event refers to, when there is one.
    public var targetMessageID: String?
    /// A short description (a reaction's emoji, an edit's new text is *not* kept here).
    public var detail: String?

    /// Reasons an event is not answered.
    public enum Reason: String, Sendable, Hashable, Codable, CaseIterable {
        /// A message the business account itself sent.
        case echo
        /// An event whose sender is the business account (for example a test message to itself).
        case ownAccount
        /// A read receipt.
        case read
        /// A reaction or its removal.
        case reaction
        /// A message the person unsent.
        case delete
        /// An edit of an earlier message.
        case edit
        /// A referral into an existing thread, with no message.
        case referral
        /// A delivery status (sent, delivered, read, failed).
        case status
        /// Another app owns the thread (standby).
        case standby
        /// A thread-control hand-over.
        case handover
        /// A message type the platform cannot show us.
        case unsupported
        /// An event kind this channel does not know.
        case unknown
    }

    /// Creates an ignored event.
    public init(reason: Reason, targetMessageID: String? = nil, detail: String? = nil) {
        self.reason = reason
        self.targetMessageID = targetMessageID
        self.detail = detail
    }
}
