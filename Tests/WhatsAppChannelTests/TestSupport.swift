import ChannelKit
import Foundation
import HTTPTypes
import Logging
import MetaPlatform
import Synchronization
import Testing
import WhatsAppChannel

/// A logger that drops everything.
let testLogger = Logger(label: "whatsapp-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// The secrets every test channel is configured with.
enum TestSecrets {
    static let appSecret = "wa-test-app-secret"
    static let verifyToken = "wa-test-verify-token"
    static let accessToken = "EAAwhatsapptesttoken"
    static let phoneNumberID = "106540352242922"
}

let localBaseURL = "http://127.0.0.1:8080"

/// The settings of a fully configured channel.
func settings(_ overrides: [String: String] = [:]) -> ChannelSettings {
    var values = [
        "access_token": TestSecrets.accessToken,
        "verify_token": TestSecrets.verifyToken,
        "app_secret": TestSecrets.appSecret,
        "phone_number_id": TestSecrets.phoneNumberID,
    ]
    for (key, value) in overrides { values[key] = value }
    return ChannelSettings(values)
}

/// An ``HTTPTransport`` that records every request and answers through a closure.
final class FakeTransport: HTTPTransport, Sendable {
    typealias Responder = @Sendable (OutboundHTTPRequest) async throws -> OutboundHTTPResponse
    private let recorded = Mutex<[OutboundHTTPRequest]>([])
    private let responder: Responder

    init(_ responder: @escaping Responder) { self.responder = responder }

    convenience init(status: HTTPResponse.Status = .ok, body: String) {
        let response = OutboundHTTPResponse(status: status, headers: [.contentType: "application/json"], body: Array(body.utf8))
        self.init { _ in response }
    }

    func execute(_ request: OutboundHTTPRequest) async throws -> OutboundHTTPResponse {
        recorded.withLock { $0.append(request) }
        return try await responder(request)
    }

    var requests: [OutboundHTTPRequest] { recorded.withLock { $0 } }
}

/// Makes a channel through the public factory.
func makeChannel(_ settings: ChannelSettings = settings(), http: any HTTPTransport = FakeTransport(status: .internalServerError, body: "{}"),
                 sandboxMode: Bool = false, name: String = "whatsapp") throws -> any Channel {
    let context = ChannelContext(http: http, logger: testLogger, localBaseURL: localBaseURL, sandboxMode: sandboxMode)
    return try WhatsAppChannelFactory().makeChannel(name: name, settings: settings, context: context)
}

/// A POST delivery signed with `secret`.
func signedDelivery(_ body: String, secret: String = TestSecrets.appSecret) -> WebhookRequest {
    let bytes = Array(body.utf8)
    return WebhookRequest(method: .post, headers: [.contentType: "application/json",
                                                   MetaSignature.headerName: MetaSignature.sign(body: bytes, secret: secret)], body: bytes)
}

/// One `messages` change for the test phone number, holding `value` members (JSON text).
func envelope(phoneNumberID: String = TestSecrets.phoneNumberID, field: String = "messages", _ members: String) -> String {
    #"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"\#(phoneNumberID)"},\#(members)},"field":"\#(field)"}]}]}"#
}

/// A `messages[]` item from 16505551234 of `type` with `content` (the type's object, JSON text).
func messageItem(id: String = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", type: String, _ content: String,
                 timestamp: String = "1749416383", extra: String = "") -> String {
    #"{"from":"16505551234","id":"\#(id)","timestamp":"\#(timestamp)",\#(extra)"type":"\#(type)","\#(type)":\#(content)}"#
}

/// Parses a signed fixture through the channel's `handle`.
func events(_ body: String, channel: (any Channel)? = nil) throws -> [InboundEvent] {
    let channel = try channel ?? makeChannel()
    guard case .events(let events) = try channel.handle(signedDelivery(body), logger: testLogger) else {
        Issue.record("a POST delivery must produce events")
        return []
    }
    return events
}

/// Parses a fixture expected to hold exactly one event.
func singleEvent(_ body: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> InboundEvent {
    let all = try events(body)
    try #require(all.count == 1, "expected one event, got \(all.count)", sourceLocation: sourceLocation)
    return all[0]
}

/// The message of an event, or a thrown error.
func message(of event: InboundEvent) throws -> InboundMessage {
    guard case .message(let message) = event.kind else { throw ChannelError.malformedPayload("not a message: \(event.kind)") }
    return message
}

/// The ignored record of an event, or a thrown error.
func ignored(_ event: InboundEvent) throws -> IgnoredEvent {
    guard case .ignored(let ignored) = event.kind else { throw ChannelError.malformedPayload("not ignored: \(event.kind)") }
    return ignored
}

/// The thrown ``ChannelError``, or `nil`.
func channelError(_ body: () async throws -> Void) async -> ChannelError? {
    do {
        try await body()
        return nil
    } catch let error as ChannelError {
        return error
    } catch {
        return nil
    }
}
