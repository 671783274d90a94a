import ChannelKit
import ChannelKitTesting
import Foundation
import Logging
import Testing

/// The conformance kit must fail channels that break their promises: each check here runs
/// against a channel with one deliberate fault and is expected to record an issue.
@Suite("Channel conformance kit")
struct ChannelConformanceKitTests {
    @Test("a channel that skips the signature check fails")
    func unsignedAccepted() async {
        await withKnownIssue { try await ChannelConformance.badSignatureRejected(LaxSubject(fault: .noSignatureCheck)) }
    }

    @Test("a channel that answers statuses fails")
    func statusesAnswered() async {
        await withKnownIssue { try await ChannelConformance.echoesAndStatusesNeverAnswered(LaxSubject(fault: .answersStatuses)) }
    }

    @Test("a channel that retries refusals fails")
    func permanentRetried() async {
        await withKnownIssue { try await ChannelConformance.permanentFailureNotRetried(LaxSubject(fault: .everyFailureTransient)) }
    }

    @Test("a channel that never retries fails")
    func transientNotRetried() async {
        await withKnownIssue { try await ChannelConformance.transientFailureRetried(LaxSubject(fault: .everyFailurePermanent)) }
    }

    @Test("a channel that lengthens its parts past the limit fails")
    func overLimit() async {
        await withKnownIssue { try await ChannelConformance.longReplySplitWithinProfile(LaxSubject(fault: .appendsFooter)) }
    }

    @Test("the same channel without a fault passes every check")
    func faultless() async {
        await ChannelConformance.run(LaxSubject(fault: nil))
    }
}

/// A tiny JSON channel (`[{"id","from","text","timestamp","status"?}]`, "signed" with an
/// `X-Test-Signature: <secret>:<byte sum>` header, enough for a test double) with an
/// optional deliberate fault.
struct LaxSubject: ChannelConformanceSubject {
    enum Fault: Sendable { case noSignatureCheck, answersStatuses, everyFailureTransient, everyFailurePermanent, appendsFooter }
    let fault: Fault?
    static let url = "https://lax.example/send"
    static let secret = "lax-secret"

    func makeChannel(http: any HTTPTransport) throws -> any Channel { LaxChannel(fault: fault, http: http) }

    func delivery(of messages: [ConformanceMessage], signature: ConformanceSignature) -> WebhookRequest {
        request(messages.map { ["id": $0.id, "from": $0.sender, "text": $0.text, "timestamp": $0.epochSeconds] },
                secret: signature == .valid ? Self.secret : "wrong")
    }

    func handshake(challenge: String, tokenIsValid: Bool) -> WebhookRequest? { nil }

    func statusDelivery(of sent: ConformanceDelivery) -> WebhookRequest? {
        request([["id": "st-\(sent.messageID)", "from": sent.message.recipient, "text": "delivered", "status": "delivered",
                  "timestamp": Int64(sent.timestamp.timeIntervalSince1970)]], secret: Self.secret)
    }

    func sentMessage(in request: OutboundHTTPRequest) -> ConformanceSentMessage? {
        guard request.url == Self.url, let body = request.body,
              let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: String],
              let to = json["to"], let text = json["text"] else { return nil }
        return ConformanceSentMessage(recipient: to, text: text)
    }

    func response(to request: OutboundHTTPRequest, outcome: ConformanceSendOutcome) -> OutboundHTTPResponse {
        switch outcome {
        case .success: OutboundHTTPResponse(status: .ok)
        case .transientFailure: OutboundHTTPResponse(status: .serviceUnavailable)
        case .permanentFailure: OutboundHTTPResponse(status: .badRequest)
        }
    }

    private func request(_ items: [[String: Any]], secret: String) -> WebhookRequest {
        let body = Array((try? JSONSerialization.data(withJSONObject: items, options: [.sortedKeys])) ?? Data())
        return WebhookRequest(method: .post, headers: [HTTPField.Name("X-Test-Signature")!: LaxChannel.signature(body, secret: secret)], body: body)
    }
}

/// The channel ``LaxSubject`` makes.
struct LaxChannel: Channel {
    let fault: LaxSubject.Fault?
    let http: any HTTPTransport
    var name: String { "lax" }
    var profile: ChannelProfile { ChannelProfile(formatting: .plain, textLimit: TextLimit(maximum: 300, unit: .characters)) }

    func handle(_ request: WebhookRequest, logger: Logger) throws -> WebhookOutcome {
        guard request.method == .post else { throw ChannelError(.methodNotAllowed, "POST only") }
        if fault != .noSignatureCheck,
           request.headers[HTTPField.Name("X-Test-Signature")!] != Self.signature(request.body, secret: LaxSubject.secret) {
            throw ChannelError.forbidden("bad signature")
        }
        guard let items = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [[String: Any]] else {
            throw ChannelError.malformedPayload("not an array")
        }
        return .events(items.map { item in
            let id = item["id"] as? String ?? ""
            let from = item["from"] as? String ?? ""
            let date = Date(timeIntervalSince1970: Double(item["timestamp"] as? Int64 ?? (item["timestamp"] as? Int).map(Int64.init) ?? 0))
            let isStatus = item["status"] != nil && fault != .answersStatuses
            return InboundEvent(channel: name, accountID: "lax", senderID: from, platformMessageID: id, timestamp: date,
                                kind: isStatus ? .ignored(IgnoredEvent(reason: .status)) : .message(InboundMessage(text: item["text"] as? String)))
        })
    }

    static func signature(_ body: [UInt8], secret: String) -> String {
        "\(secret):\(body.reduce(UInt32(0)) { $0 &* 31 &+ UInt32($1) })"
    }

    func send(_ message: OutboundMessage, to recipient: Recipient, logger: Logger) async throws -> SendReceipt {
        let text = fault == .appendsFooter ? message.text + String(repeating: " — sent by lax", count: 30) : message.text
        let body = try JSONSerialization.data(withJSONObject: ["to": recipient.userID, "text": text], options: [.sortedKeys])
        let response = try await http.execute(OutboundHTTPRequest(method: .post, url: LaxSubject.url, body: Array(body)))
        switch (response.status.code, fault) {
        case (200..<300, _): return SendReceipt(platformMessageID: nil)
        case (_, .everyFailureTransient): throw ChannelError.transient("failed")
        case (_, .everyFailurePermanent): throw ChannelError.permanent("failed")
        case (500..<600, _): throw ChannelError.transient("failed")
        default: throw ChannelError.permanent("failed")
        }
    }
}
