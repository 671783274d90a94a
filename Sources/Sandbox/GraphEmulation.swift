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
