import ChannelKit
import Foundation
import HTTPTypes
import InstagramChannel
import Logging
import MetaPlatform
import Synchronization
import Testing

/// A logger that drops everything.
let testLogger = Logger(label: "instagram-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// The secrets every test channel is configured with.
enum TestSecrets {
    static let appSecret = "test-app-secret-4b1d"
    static let verifyToken = "test-verify-token"
    static let accessToken = "EAAtestaccesstoken123"
}

/// An ``HTTPTransport`` that records every request and answers through a closure.
final class FakeTransport: HTTPTransport, Sendable {
    typealias Responder = @Sendable (OutboundHTTPRequest) async throws -> OutboundHTTPResponse

    private let recorded = Mutex<[OutboundHTTPRequest]>([])
    private let responder: Responder

    init(_ responder: @escaping Responder) {
        self.responder = responder
    }

    /// Answers every request with `status` and a JSON body.
    convenience init(status: HTTPResponse.Status = .ok, body: String, headers: HTTPFields = [:]) {
        var all = headers
        all[.contentType] = "application/json"
        let response = OutboundHTTPResponse(status: status, headers: all, body: Array(body.utf8))
        self.init { _ in response }
    }

    /// Throws `error` for every request.
    convenience init(throwing error: any Error & Sendable) {
        self.init { _ in throw error }
    }

    func execute(_ request: OutboundHTTPRequest) async throws -> OutboundHTTPResponse {
        recorded.withLock { $0.append(request) }
        return try await responder(request)
    }

    var requests: [OutboundHTTPRequest] { recorded.withLock { $0 } }
}

/// The settings of a fully configured channel.
func settings(_ overrides: [String: String] = [:]) -> ChannelSettings {
    var values = [
        "access_token": TestSecrets.accessToken,
        "verify_token": TestSecrets.verifyToken,
        "app_secret": TestSecrets.appSecret,
        "api_version": "v27.0",
        "graph_api_base_url": "https://graph.facebook.com",
        "max_message_bytes": "1000",
    ]
    for (key, value) in overrides { values[key] = value }
    return ChannelSettings(values)
}

let localBaseURL = "http://127.0.0.1:8080"

/// Makes a channel through the public factory.
func makeChannel(_ settings: ChannelSettings = settings(), http: any HTTPTransport = FakeTransport(throwing: HTTPTransportError(.connectionFailed, "no network in tests")),
                 sandboxMode: Bool = false, name: String = "instagram") throws -> any Channel {
    let context = ChannelContext(http: http, logger: testLogger, localBaseURL: localBaseURL, sandboxMode: sandboxMode)
    return try InstagramChannelFactory().makeChannel(name: name, settings: settings, context: context)
}

/// A POST delivery signed with `secret`.
func signedDelivery(_ body: String, secret: String = TestSecrets.appSecret) -> WebhookRequest {
    let bytes = Array(body.utf8)
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    headers[MetaSignature.headerName] = MetaSignature.sign(body: bytes, secret: secret)
    return WebhookRequest(method: .post, headers: headers, body: bytes)
}

/// Parses a signed fixture through the channel's `handle`.
func events(_ body: String, settings: ChannelSettings = settings()) throws -> [InboundEvent] {
    let channel = try makeChannel(settings)
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

/// Wraps messaging items into an envelope with one entry for the business account.
func envelope(account: String = "17841405309211844", time: Int64 = 1569262486200, messaging items: String) -> String {
    #"{"object":"instagram","entry":[{"time":\#(time),"id":"\#(account)","messaging":[\#(items)]}]}"#
}

/// The message of an event, or a recorded issue.
func message(of event: InboundEvent, sourceLocation: SourceLocation = #_sourceLocation) throws -> InboundMessage {
    guard case .message(let message) = event.kind else {
        Issue.record("expected a message, got \(event.kind)", sourceLocation: sourceLocation)
        throw ChannelError.malformedPayload("not a message")
    }
    return message
}

/// The ignored record of an event, or a recorded issue.
func ignored(_ event: InboundEvent, sourceLocation: SourceLocation = #_sourceLocation) throws -> IgnoredEvent {
    guard case .ignored(let ignored) = event.kind else {
        Issue.record("expected an ignored event, got \(event.kind)", sourceLocation: sourceLocation)
        throw ChannelError.malformedPayload("not ignored")
    }
    return ignored
}

/// The thrown ``ChannelError``, or `nil` when nothing (or something else) was thrown.
func channelError(_ body: () throws -> Void) -> ChannelError? {
    do {
        try body()
        return nil
    } catch let error as ChannelError {
        return error
    } catch {
        return nil
    }
}

/// The thrown ``ChannelError`` of an async call.
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

/// Milliseconds since 1970 as a date.
func date(ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }

extension String {
    var bytes: [UInt8] { Array(utf8) }
}
