import ChannelKit
import Foundation
import HTTPTypes
import MetaPlatform

/// What one Meta platform looks like to a person and to the business: the per-channel part
/// of a ``GraphEmulator``, which does everything the platforms share (conversation records,
/// long polls, reset, bearer checks, fault injection, the media store, signing and posting
/// webhooks, the page).
///
/// A description reads the channel's settings, so that the emulator accepts the credentials
/// and limits the channel sends with, and answers four questions: what webhook body a
/// person's message becomes, what the Graph send endpoint accepts and answers, which Graph
/// ids are accounts, and how the page looks. Adding a Meta channel's emulator is one type
/// conforming to this protocol and one registration line in the host:
///
/// ```swift
/// var sandboxes = SandboxRegistry()
/// sandboxes.register(InstagramEmulation.self)   // channels of type `instagram` in sandbox mode
/// ```
public protocol GraphEmulation: Sendable {
    /// The channel type whose channels this emulates (`instagram`).
    static var channelType: String { get }
    /// Reads a channel's settings (the same keys the channel reads).
    init(settings: ChannelSettings)

    /// The access token Graph calls must carry and the app secret deliveries are signed with.
    var credentials: SandboxCredentials { get }
    /// The page's wording, look and limits.
    var page: SandboxPageStyle { get }
    /// Upload limits and how the host gets a file back.
    var media: EmulatedMediaPolicy { get }
    /// The prefix of message ids the emulated Send API hands out (`sandbox.out.`).
    var sentMessageIDPrefix: String { get }
    /// WhatsApp's `messaging_product` in media lookups; `nil` for platforms without one.
    var messagingProduct: String? { get }

    /// The webhook delivery for what a person sent with `POST /api/send`.
    /// - Throws: ``SandboxRefusal`` for a body the page or a test should not have sent.
    func personSends(_ body: MetaJSON, user: String, context: PersonContext) throws(SandboxRefusal) -> EmulatedDelivery
    /// The webhook delivery for `POST /api/status` (a delivery status); the default refuses:
    /// platforms without statuses have no such route.
    func statusDelivery(_ body: MetaJSON, context: PersonContext) throws(SandboxRefusal) -> EmulatedDelivery

    /// Whether `GET /graph/<version>/<id>` names an account (`me`, a phone number id).
    func isAccount(_ id: String) -> Bool
    /// What Graph answers for an account id.
    func account(_ id: String) -> MetaJSON
    /// Checks and records one call of the Send API, `POST /graph/<version>/<target>/messages`,
    /// whose bearer token was already checked.
    /// - Throws: ``SandboxRefusal`` with Graph's error body for a call Graph refuses.
    func send(_ call: GraphSendCall) throws(SandboxRefusal) -> GraphSendRecord
}

extension GraphEmulation {
    /// No statuses: `POST /api/status` is not found.
    public func statusDelivery(_ body: MetaJSON, context: PersonContext) throws(SandboxRefusal) -> EmulatedDelivery {
        throw SandboxRefusal(GraphSandboxReply.json(["error": "not found"], status: .notFound))
    }
    /// None.
    public var messagingProduct: String? { nil }
}

/// What a description may look up while building a person's delivery.
public struct PersonContext: Sendable {
    /// Now.
    public var now: Date
    /// The uploaded files, by id.
    public var media: [String: EmulatedMediaItem]
    /// The URL the emulated CDN serves an uploaded file at (for platforms whose webhooks carry one).
    public var mediaURL: @Sendable (String) -> String

    /// The time in whole seconds, as WhatsApp's `timestamp` strings carry it.
    public var seconds: Int64 { Int64(now.timeIntervalSince1970) }
    /// The time in milliseconds, as Messenger and Instagram carry it.
    public var milliseconds: Int64 { Int64((now.timeIntervalSince1970 * 1000).rounded()) }
    /// A new platform message id with `prefix`.
    public func newMessageID(_ prefix: String) -> String { prefix + UUID().uuidString.lowercased() }
}

/// One webhook delivery a person caused, and how the page shows it.
public struct EmulatedDelivery: Sendable {
    /// The webhook body, written the way Meta writes it.
    public var payload: MetaJSON
    /// The conversation it belongs to (the person's id).
    public var user: String
    /// The entry the page shows; its raw body is filled in by the emulator.
    public var entry: SandboxEntry
    /// Fields of the answer to the page after `status` (`"mid": …`).
    public var answer: [MetaJSON.Member]

    /// Creates a delivery.
    public init(payload: MetaJSON, user: String, entry: SandboxEntry, answer: [MetaJSON.Member]) {
        self.payload = payload
        self.user = user
        self.entry = entry
        self.answer = answer
    }
}

/// One call of the emulated Send API.
public struct GraphSendCall: Sendable {
    /// The id in the path (`me`, a page id, a phone number id).
    public var target: String
    /// The request body, parsed.
    public var body: MetaJSON
    /// The message id this call gets when it sends a message (``GraphSendRecord/isMessage``).
    public var messageID: String
    /// Which person sent each inbound message id, for read receipts.
    public var senders: [String: String]
    /// An injected limit (``GraphSandboxFaults/maxTextLength``), in UTF-16 code units.
    public var injectedTextLimit: Int?

    /// Whether `text` is over the injected limit.
    public func injectedLimitRefuses(_ text: String) -> Bool {
        injectedTextLimit.map { text.utf16.count > $0 } ?? false
    }
}

/// What the emulator records for an accepted Send API call.
public struct GraphSendRecord: Sendable {
    /// The person it went to; empty when unknown (a read receipt for a forgotten message).
    public var recipient: String
    /// The outbox item's fields (the emulator adds `seq` and `time`).
    public var outbox: [MetaJSON.Member]
    /// What the person's thread shows (the emulator numbers them and adds the raw body).
    public var entries: [SandboxEntry]
    /// Graph's answer.
    public var answer: MetaJSON
    /// Whether the call sent a message: it used ``GraphSendCall/messageID`` and counts for
    /// the `min_texts` long poll.
    public var isMessage: Bool

    /// Creates a record.
    public init(recipient: String, outbox: [MetaJSON.Member], entries: [SandboxEntry], answer: MetaJSON, isMessage: Bool) {
        self.recipient = recipient
        self.outbox = outbox
        self.entries = entries
        self.answer = answer
        self.isMessage = isMessage
    }
}

/// A refused request and its answer: a page error (`{"error": …}`) or a Graph error body.
public struct SandboxRefusal: Error, Sendable {
    /// The answer.
    public var response: SandboxResponse

    /// Wraps an answer.
    public init(_ response: SandboxResponse) { self.response = response }

    /// A `400 {"error": message}` for the page.
    public static func person(_ message: String) -> Self {
        Self(GraphSandboxReply.json(["error": .string(message)], status: .badRequest))
    }

    /// A Graph error (see ``GraphSandboxReply/error(status:code:subcode:message:details:)``).
    public static func graph(_ message: String, status: HTTPResponse.Status = .badRequest, code: Int = 100, subcode: Int? = nil,
                             details: String? = nil) -> Self {
        Self(GraphSandboxReply.error(status: status, code: code, subcode: subcode, message: message, details: details))
    }
}
