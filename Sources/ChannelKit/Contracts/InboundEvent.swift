import Foundation

/// One normalized event from a platform: a message, a postback, or something that is
/// recorded but never answered.
public struct InboundEvent: Sendable, Hashable, Codable {
    /// The configured name of the channel that received it (`instagram`).
    public var channel: String
    /// The business account the event belongs to (Instagram: the professional account id).
    public var accountID: String
    /// The platform-scoped id of the person on the other side (Instagram: the IGSID;
    /// WhatsApp: the business-scoped user id when the webhook carries one, else the phone
    /// number). The store may replace it, on acceptance, by the id it already knows the same
    /// person by (see ``alternativeSenderIDs``).
    public var senderID: String
    /// Other ids the platform gave for the same person in this event: WhatsApp's phone number
    /// beside a business-scoped user id, or the new id of a person whose id changed. The
    /// store keys the conversation on whichever of these ids it already knows the person by,
    /// so history and identity links stay with the person.
    public var alternativeSenderIDs: [String]
    /// Where replies to this event go when that is not ``senderID``: the id the person wrote
    /// from (or their phone number, which WhatsApp prefers) when the conversation is keyed on
    /// an id they were known by earlier.
    public var replyAddress: String?
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
        /// A message the business account sent that may be a person's (from Meta's apps, a
        /// helpdesk, the WhatsApp Business app): never answered; the pipeline tells this host's
        /// own sends from a person's, and a person's reply pauses Sandra in the conversation.
        case echo(Echo)
        /// A change of which app answers the conversation (Conversation Routing): never answered.
        case control(ThreadControl)
        /// Recorded for the record and never answered.
        case ignored(IgnoredEvent)
    }

    /// Creates an event.
    public init(channel: String, accountID: String, senderID: String, platformMessageID: String, timestamp: Date, kind: Kind,
                alternativeSenderIDs: [String] = [], replyAddress: String? = nil) {
        self.channel = channel
        self.accountID = accountID
        self.senderID = senderID
        self.alternativeSenderIDs = alternativeSenderIDs
        self.replyAddress = replyAddress
        self.platformMessageID = platformMessageID
        self.timestamp = timestamp
        self.kind = kind
    }

    private enum CodingKeys: String, CodingKey {
        case channel, accountID, senderID, alternativeSenderIDs, replyAddress, platformMessageID, timestamp, kind
    }

    /// Decodes an event; events recorded before alternative ids existed have none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        channel = try container.decode(String.self, forKey: .channel)
        accountID = try container.decode(String.self, forKey: .accountID)
        senderID = try container.decode(String.self, forKey: .senderID)
        alternativeSenderIDs = try container.decodeIfPresent([String].self, forKey: .alternativeSenderIDs) ?? []
        replyAddress = try container.decodeIfPresent(String.self, forKey: .replyAddress)
        platformMessageID = try container.decode(String.self, forKey: .platformMessageID)
        timestamp = try container.decode(Date.self, forKey: .timestamp)
        kind = try container.decode(Kind.self, forKey: .kind)
    }

    /// Encodes the event; no alternative ids and no reply address are left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(channel, forKey: .channel)
        try container.encode(accountID, forKey: .accountID)
        try container.encode(senderID, forKey: .senderID)
        if !alternativeSenderIDs.isEmpty { try container.encode(alternativeSenderIDs, forKey: .alternativeSenderIDs) }
        try container.encodeIfPresent(replyAddress, forKey: .replyAddress)
        try container.encode(platformMessageID, forKey: .platformMessageID)
        try container.encode(timestamp, forKey: .timestamp)
        try container.encode(kind, forKey: .kind)
    }

    /// The conversation this event belongs to.
    public var conversation: ConversationKey {
        ConversationKey(channel: channel, accountID: accountID, userID: senderID)
    }

    /// Where the replies to this event go: ``replyAddress`` when there is one, else the sender.
    public var recipient: Recipient {
        Recipient(accountID: accountID, userID: replyAddress ?? senderID)
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
        case .echo(var echo):
            if echo.text != nil { echo.text = Self.redactedText }
            copy.kind = .echo(echo)
        case .ignored, .control:
            break
        }
        return copy
    }

    /// Whether the pipeline answers this event: a message or a postback from the person.
    public var isAnswerable: Bool {
        switch kind {
        case .message, .postback: true
        case .echo, .control, .ignored: false
        }
    }

    /// Whether the pipeline takes this event up in its conversation's turn, in order with the
    /// messages: the answerable ones, and echoes and thread-control changes (recorded in the
    /// conversation, never answered). The store keeps the rest as `ignored`.
    public var takesTurn: Bool {
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
    /// An answer the channel's operator configured for this kind of message (a thanks for a
    /// story mention): sent as it is, without asking the assistant.
    public var automaticReply: String?

    /// Creates a message.
    public init(text: String? = nil, attachments: [Attachment] = [], quickReplyPayload: String? = nil,
                replyTo: ReplyReference? = nil, referral: Referral? = nil, automaticReply: String? = nil) {
        self.text = text
        self.attachments = attachments
        self.quickReplyPayload = quickReplyPayload
        self.replyTo = replyTo
        self.referral = referral
        self.automaticReply = automaticReply
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
        /// A mention of the business (an Instagram story mention) that is not answered.
        case mention
        /// A change of the person's id on the platform (WhatsApp `user_changed_user_id`).
        case identityChange
        /// An item of a delivery the channel could not read; the detail says which and why.
        case malformed
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
