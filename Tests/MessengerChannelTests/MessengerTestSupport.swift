import ChannelKit
import ChannelKitTesting
import HTTPTypes
import Logging
import MessengerChannel
import MetaPlatform
import Testing

/// The Page, its secrets, and the settings every test channel is made with.
enum Page {
    static let id = "104729508710935"
    static let appSecret = "messenger-app-secret-7c2e"
    static let verifyToken = "messenger-verify-token"
    static let accessToken = "EAAGpagetoken0123456789"

    /// A fully configured channel's settings, with `overrides`.
    static func settings(_ overrides: [String: String] = [:]) -> ChannelSettings {
        var values = ["access_token": accessToken, "verify_token": verifyToken, "app_secret": appSecret,
                      "api_version": "v27.0", "page_id": id]
        values.merge(overrides) { _, new in new }
        return ChannelSettings(values)
    }

    /// A channel made through the public factory, sending through `http`.
    static func channel(_ settings: ChannelSettings = settings(), http: any HTTPTransport = FakePlatformAPI(subject: MessengerSubject()),
                        sandboxMode: Bool = false) throws -> any Channel {
        let context = ChannelContext(http: http, logger: Logger(label: "messenger-tests", factory: { _ in SwiftLogNoOpLogHandler() }),
                                     localBaseURL: "http://127.0.0.1:8080", sandboxMode: sandboxMode)
        return try MessengerChannelFactory().makeChannel(name: "messenger", settings: settings, context: context)
    }

    /// `object: page` around messaging items, each entry with its items: `[[item, …], …]`.
    static func webhook(_ entries: [[String]], time: Int64 = 1_760_000_000_500) -> String {
        let list = entries.map { #"{"id":"\#(id)","time":\#(time),"messaging":[\#($0.joined(separator: ","))]}"# }
        return #"{"object":"page","entry":[\#(list.joined(separator: ","))]}"#
    }

    /// A messaging item from `psid` to the Page (or, `fromPage`, the other way round).
    static func item(_ psid: String, _ timestamp: Int64, _ key: String, _ value: String, fromPage: Bool = false) -> String {
        let (sender, recipient) = fromPage ? (id, psid) : (psid, id)
        return #"{"sender":{"id":"\#(sender)"},"recipient":{"id":"\#(recipient)"},"timestamp":\#(timestamp),"\#(key)":\#(value)}"#
    }

    /// A `POST` of `body`, signed with `secret`.
    static func signed(_ body: String, secret: String = appSecret) -> WebhookRequest {
        let bytes = Array(body.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[MetaSignature.headerName] = MetaSignature.sign(body: bytes, secret: secret)
        return WebhookRequest(method: .post, headers: headers, body: bytes)
    }

    /// The events of a signed delivery of `body`.
    static func events(_ body: String) throws -> [InboundEvent] {
        let outcome = try channel().handle(signed(body), logger: Logger(label: "messenger-tests", factory: { _ in SwiftLogNoOpLogHandler() }))
        guard case .events(let events) = outcome else {
            Issue.record("a POST delivery must produce events, got \(outcome)")
            return []
        }
        return events
    }
}
