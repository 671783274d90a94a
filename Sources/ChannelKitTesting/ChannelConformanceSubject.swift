import ChannelKit
import Foundation

/// What a channel supplies to run ``ChannelConformance``: a way to make it, a way to build
/// its platform's signed webhook payloads, and a way to read and answer what it sends.
///
/// Everything the channel sends goes to an in-memory fake of the platform's send API (a
/// ``FakePlatformAPI`` handed to ``makeChannel(http:)``); the subject only translates between
/// the platform's wire format and the kit's plain values. Media is served by the same fake:
/// the subject builds image and voice-note deliveries pointing at media the kit hosts, and
/// answers media lookups and downloads the way the platform does. A Meta channel's subject is
/// about a hundred lines; see `Tests/ExampleWebhookChannelTests` for a complete small one.
public protocol ChannelConformanceSubject: Sendable {
    /// Makes the channel under test, configured with the secrets the subject signs with.
    /// - Parameter http: the fake platform; every request the channel makes must go through it.
    func makeChannel(http: any HTTPTransport) throws -> any Channel

    /// A `POST` delivery of text messages, all in one request, in the order given.
    /// - Parameters:
    ///   - messages: the messages.
    ///   - signature: signed with the channel's secret, or with a wrong one.
    func delivery(of messages: [ConformanceMessage], signature: ConformanceSignature) -> WebhookRequest

    /// The platform's subscription handshake, or `nil` when the platform has none.
    /// - Parameters:
    ///   - challenge: the value the channel must echo.
    ///   - tokenIsValid: whether the request carries the configured verify token.
    func handshake(challenge: String, tokenIsValid: Bool) -> WebhookRequest?

    /// A signed delivery of the platform's echo of a message the business sent, or `nil`
    /// when the platform sends no echoes.
    /// - Parameter sent: the message the fake API received and accepted.
    func echoDelivery(of sent: ConformanceDelivery) -> WebhookRequest?

    /// Whether the platform tells the host of replies a person of the business sends from
    /// elsewhere (echoes of messages typed in its apps, a helpdesk, the business app). `true`
    /// by default: the takeover check then needs ``humanReplyDelivery(_:)``.
    var seesHumanReplies: Bool { get }

    /// A signed delivery of the platform's echo of a reply a person of the business sent from
    /// outside this host, or `nil` (the default) when the subject builds none.
    func humanReplyDelivery(_ reply: ConformanceHumanReply) -> WebhookRequest?

    /// A signed delivery of a status of a sent message (delivered, read), or `nil` when the
    /// platform sends none.
    /// - Parameter sent: the message the fake API received and accepted.
    func statusDelivery(of sent: ConformanceDelivery) -> WebhookRequest?

    /// What a request to the platform sends, when it sends a message to a person; `nil` for
    /// every other call (typing indicators, read receipts, lookups).
    func sentMessage(in request: OutboundHTTPRequest) -> ConformanceSentMessage?

    /// The platform's answer to a request, in its wire format.
    /// - Parameters:
    ///   - request: the request.
    ///   - outcome: the answer the kit wants: success with a message id, a failure that passes,
    ///     or one that never will.
    func response(to request: OutboundHTTPRequest, outcome: ConformanceSendOutcome) -> OutboundHTTPResponse

    // MARK: Media

    /// What media the channel takes from people: images, voice notes, or both (the default).
    /// The media checks need a delivery builder for each kind declared, and fail without one;
    /// a channel that takes no media declares `[]`, and the checks then verify that its profile
    /// allows no media hosts.
    var mediaSupport: ConformanceMediaSupport { get }

    /// A signed delivery of one image from a person, in the platform's wire format, pointing at
    /// `message.media` the way the platform does: by its URL, or by its media id for a platform
    /// that looks media up. `nil` (the default) when the subject builds none.
    func imageDelivery(of message: ConformanceMediaMessage) -> WebhookRequest?

    /// A signed delivery of one voice note from a person, in the platform's wire format, as
    /// ``imageDelivery(of:)`` does for images. `nil` (the default) when the subject builds none.
    func voiceNoteDelivery(of message: ConformanceMediaMessage) -> WebhookRequest?

    /// The voice note the platform delivers, in its own format: an MP4 with one sound track by
    /// default (``ConformanceMediaFile/mp4VoiceNote``).
    var voiceNoteFile: ConformanceMediaFile { get }

    /// The path and query of the platform's media URL for media `id`; the kit serves it on
    /// ``FakePlatformAPI/mediaOrigin``. `/media/<id>` by default.
    func mediaPath(for id: String) -> String

    /// The platform's answer to a request about hosted media — a lookup by media id, or the
    /// download itself — in its wire format, or `nil` for a request that is not about media.
    /// The default serves each hosted file at its URL to anyone
    /// (``ConformanceMedia/download(for:from:)``); a platform that wants a token for its media
    /// checks it here.
    /// - Parameters:
    ///   - request: the request.
    ///   - hosted: the media the fake platform hosts.
    func mediaResponse(to request: OutboundHTTPRequest, hosted: [ConformanceMedia]) -> OutboundHTTPResponse?
}

extension ChannelConformanceSubject {
    /// No echoes, unless the subject says otherwise.
    public func echoDelivery(of sent: ConformanceDelivery) -> WebhookRequest? { nil }
    /// No statuses, unless the subject says otherwise.
    public func statusDelivery(of sent: ConformanceDelivery) -> WebhookRequest? { nil }
    /// The platform tells the host of a person of the business's replies.
    public var seesHumanReplies: Bool { true }
    /// No delivery of a person of the business's reply: the takeover check fails unless
    /// ``seesHumanReplies`` is `false`.
    public func humanReplyDelivery(_ reply: ConformanceHumanReply) -> WebhookRequest? { nil }
    /// Images and voice notes.
    public var mediaSupport: ConformanceMediaSupport { .all }
    /// No image delivery: the image check fails unless ``mediaSupport`` leaves images out.
    public func imageDelivery(of message: ConformanceMediaMessage) -> WebhookRequest? { nil }
    /// No voice-note delivery: the voice check fails unless ``mediaSupport`` leaves voice notes out.
    public func voiceNoteDelivery(of message: ConformanceMediaMessage) -> WebhookRequest? { nil }
    /// An MP4 voice note.
    public var voiceNoteFile: ConformanceMediaFile { .mp4VoiceNote }
    /// `/media/<id>`.
    public func mediaPath(for id: String) -> String { "/media/\(id)" }
    /// Each hosted file at its URL, to anyone.
    public func mediaResponse(to request: OutboundHTTPRequest, hosted: [ConformanceMedia]) -> OutboundHTTPResponse? {
        ConformanceMedia.download(for: request, from: hosted)
    }
}

/// A text message from a person, as the kit asks a subject to deliver it.
public struct ConformanceMessage: ConformanceTimestamped, Sendable, Hashable {
    /// The person's platform id.
    public var sender: String
    /// The platform's message id.
    public var id: String
    /// The text.
    public var text: String
    /// When it was sent; whole seconds (some platforms keep no more).
    public var timestamp: Date

    /// Creates a message.
    public init(sender: String, id: String, text: String, timestamp: Date) {
        self.sender = sender
        self.id = id
        self.text = text
        self.timestamp = timestamp
    }
}

/// Something a person sent, at a time the kit gives in whole seconds, with the time in the
/// units platforms write it in.
public protocol ConformanceTimestamped {
    /// When it was sent.
    var timestamp: Date { get }
}

extension ConformanceTimestamped {
    /// The timestamp in whole epoch seconds.
    public var epochSeconds: Int64 { Int64(timestamp.timeIntervalSince1970.rounded(.down)) }
    /// The timestamp in epoch milliseconds.
    public var epochMilliseconds: Int64 { epochSeconds * 1000 }
}

/// How a delivery is signed.
public enum ConformanceSignature: Sendable, Hashable {
    /// With the secret the channel is configured with.
    case valid
    /// With some other secret: the channel must refuse it.
    case wrongSecret
}

/// A message the channel sent, as the subject reads it from a request.
public struct ConformanceSentMessage: Sendable, Hashable {
    /// The person it was sent to (their platform id).
    public var recipient: String
    /// The text, in the channel's dialect.
    public var text: String

    /// Creates a sent message.
    public init(recipient: String, text: String) {
        self.recipient = recipient
        self.text = text
    }
}

/// A message the fake platform accepted, with the id it answered.
public struct ConformanceDelivery: Sendable, Hashable {
    /// What was sent.
    public var message: ConformanceSentMessage
    /// The message id the fake platform gave it.
    public var messageID: String
    /// When it was accepted; whole seconds.
    public var timestamp: Date

    /// Creates a delivery.
    public init(message: ConformanceSentMessage, messageID: String, timestamp: Date) {
        self.message = message
        self.messageID = messageID
        self.timestamp = timestamp
    }
}

/// How the fake platform answers a request.
public enum ConformanceSendOutcome: Sendable, Hashable {
    /// Accepted; a message send gets this id.
    case success(messageID: String)
    /// A failure that passes: the platform's "try again later" (a 5xx, throttling), with no
    /// long `Retry-After`.
    case transientFailure
    /// A failure that never passes: the platform's refusal of the request itself (outside
    /// the messaging window, an unknown recipient, an invalid parameter).
    case permanentFailure
}

/// The kinds of media a channel takes from people, for the conformance kit.
public struct ConformanceMediaSupport: OptionSet, Sendable, Hashable {
    /// The kinds, one bit each.
    public let rawValue: Int

    /// Creates a set from its raw value.
    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    /// Photos.
    public static let images = ConformanceMediaSupport(rawValue: 1 << 0)
    /// Voice notes.
    public static let voiceNotes = ConformanceMediaSupport(rawValue: 1 << 1)
    /// Photos and voice notes.
    public static let all: ConformanceMediaSupport = [.images, .voiceNotes]
}

/// A message carrying one piece of media from a person, as the kit asks a subject to deliver it.
public struct ConformanceMediaMessage: ConformanceTimestamped, Sendable, Hashable {
    /// The person's platform id.
    public var sender: String
    /// The platform's message id.
    public var id: String
    /// When it was sent; whole seconds.
    public var timestamp: Date
    /// The media, hosted by the fake platform.
    public var media: ConformanceMedia

    /// Creates a message.
    public init(sender: String, id: String, timestamp: Date, media: ConformanceMedia) {
        self.sender = sender
        self.id = id
        self.timestamp = timestamp
        self.media = media
    }
}
