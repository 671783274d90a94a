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

    @Test("a channel that reads a person of the business's reply as the person's message fails the takeover check")
    func humanReplyAnswered() async throws {
        try await Self.expectIssues(ChannelConformance.humanReplyPauses, LaxSubject(fault: .readsHumanRepliesAsMessages),
                                    saying: "not read as an echo", "queued for an answer", "Sandra answered", "the assistant was asked", "history")
    }

    @Test("a subject whose platform sends a person of the business's replies but builds no delivery of one fails the takeover check")
    func noHumanReplyBuilder() async throws {
        try await Self.expectIssues(ChannelConformance.humanReplyPauses, LaxSubject(fault: .buildsNoHumanReply), saying: "builds no delivery")
    }

    @Test("a channel that drops attachments fails the media check on every photo")
    func attachmentsDropped() async throws {
        try await Self.expectIssues(ChannelConformance.mediaFetchedWithinLimits, LaxSubject(fault: .dropsAttachments), saying: "photo")
    }

    @Test("a channel that hands large photos on without fetching them fails the size cap")
    func largePhotoPassedOn() async throws {
        try await Self.expectIssues(ChannelConformance.mediaFetchedWithinLimits, LaxSubject(fault: .passesLargeMediaUnfetched), saying: "over the")
    }

    @Test("a channel that allows media from any host fails the allowlist")
    func anyMediaHost() async throws {
        try await Self.expectIssues(ChannelConformance.mediaFetchedWithinLimits, LaxSubject(fault: .allowsEveryMediaHost), saying: "allowed media hosts")
    }

    @Test("a channel that drops voice notes fails the voice check")
    func voiceDropped() async throws {
        try await Self.expectIssues(ChannelConformance.voiceNoteTranscribed, LaxSubject(fault: .dropsAttachments), saying: "voice note", "transcri")
    }

    @Test("a channel that adds a label to voice notes fails when transcription fails: the assistant is asked")
    func voiceLabelled() async throws {
        try await Self.expectIssues(ChannelConformance.voiceNoteTranscribed, LaxSubject(fault: .labelsVoiceNotes),
                                    saying: "could not be transcribed", "a failed transcription was answered")
    }

    @Test("a subject that takes media by default but builds no media deliveries fails both media checks")
    func noMediaBuilders() async throws {
        let subject = LaxSubject(fault: .buildsNoMediaDeliveries)
        try await Self.expectIssues(ChannelConformance.mediaFetchedWithinLimits, subject, saying: "builds no image delivery")
        try await Self.expectIssues(ChannelConformance.voiceNoteTranscribed, subject, saying: "builds no voice-note delivery")
    }

    @Test("a subject that declares no media while its channel allows media hosts fails")
    func noMediaDeclaredWithHosts() async throws {
        try await Self.expectIssues(ChannelConformance.mediaFetchedWithinLimits, LaxSubject(fault: .allowsEveryMediaHost, mediaSupport: []),
                                    saying: "takes no media, yet its profile allows media")
    }

    @Test("a channel that declares no media and allows no media hosts passes the media checks by that declaration")
    func noMediaDeclared() async throws {
        let subject = LaxSubject(fault: nil, mediaSupport: [])
        try await ChannelConformance.mediaFetchedWithinLimits(subject)
        try await ChannelConformance.voiceNoteTranscribed(subject)
    }

    @Test("the same channel without a fault passes every check")
    func faultless() async {
        await ChannelConformance.run(LaxSubject(fault: nil))
    }

    /// Runs `check` against `subject` and expects it to record at least one issue, each of
    /// which says one of `texts`: the check failed, and for the reason the fault gives.
    static func expectIssues(_ check: ChannelConformance.Check, _ subject: LaxSubject, saying texts: String...,
                             sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await withKnownIssue(sourceLocation: sourceLocation) {
            try await check(subject)
        } matching: { issue in
            texts.contains { text in issue.comments.contains { $0.rawValue.contains(text) } }
        }
    }
}

/// A tiny JSON channel (`[{"id","from","text"?,"media"?,"timestamp","status"?}]`, "signed"
/// with an `X-Test-Signature: <secret>:<byte sum>` header, enough for a test double) with an
/// optional deliberate fault. `media` is `{"type": "image"|"audio", "url", "size"}`.
struct LaxSubject: ChannelConformanceSubject {
    enum Fault: Sendable {
        case noSignatureCheck, answersStatuses, everyFailureTransient, everyFailurePermanent, appendsFooter
        /// Media attachments are left out of the message.
        case dropsAttachments
        /// Media the payload announces as larger than 32 KB is handed on without its URL, so it
        /// is never fetched (nor refused).
        case passesLargeMediaUnfetched
        /// The profile allows media from `*.example`.
        case allowsEveryMediaHost
        /// Voice notes carry the text `[voice note]`.
        case labelsVoiceNotes
        /// The subject builds no image or voice-note deliveries.
        case buildsNoMediaDeliveries
        /// A person of the business's reply is read as a message from the person it went to.
        case readsHumanRepliesAsMessages
        /// The subject builds no delivery of a person of the business's reply.
        case buildsNoHumanReply
    }
    let fault: Fault?
    var mediaSupport: ConformanceMediaSupport = .all
    static let url = "https://lax.example/send"
    static let secret = "lax-secret"

    func makeChannel(http: any HTTPTransport) throws -> any Channel { LaxChannel(fault: fault, http: http) }

    func delivery(of messages: [ConformanceMessage], signature: ConformanceSignature) -> WebhookRequest {
        request(messages.map { ["id": $0.id, "from": $0.sender, "text": $0.text, "timestamp": $0.epochSeconds] },
                secret: signature == .valid ? Self.secret : "wrong")
    }

    func imageDelivery(of message: ConformanceMediaMessage) -> WebhookRequest? {
        mediaDelivery(of: message, type: "image")
    }

    func voiceNoteDelivery(of message: ConformanceMediaMessage) -> WebhookRequest? {
        mediaDelivery(of: message, type: "audio")
    }

    private func mediaDelivery(of message: ConformanceMediaMessage, type: String) -> WebhookRequest? {
        guard fault != .buildsNoMediaDeliveries, mediaSupport.contains(type == "image" ? .images : .voiceNotes) else { return nil }
        let media: [String: Any] = ["type": type, "url": message.media.url, "size": message.media.bytes.count]
        return request([["id": message.id, "from": message.sender, "media": media, "timestamp": message.epochSeconds]], secret: Self.secret)
    }

    func handshake(challenge: String, tokenIsValid: Bool) -> WebhookRequest? { nil }

    func humanReplyDelivery(_ reply: ConformanceHumanReply) -> WebhookRequest? {
        guard fault != .buildsNoHumanReply else { return nil }
        return request([["id": reply.id, "to": reply.recipient, "text": reply.text, "timestamp": reply.epochSeconds, "echo": true]],
                       secret: Self.secret)
    }

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
    var profile: ChannelProfile {
        ChannelProfile(formatting: .plain, textLimit: TextLimit(maximum: 300, unit: .characters),
                       allowedMediaHosts: fault == .allowsEveryMediaHost ? ["*.example"] : [])
    }

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
            if item["echo"] != nil {
                // The business's message to `to`: the person's conversation.
                let to = item["to"] as? String ?? ""
                let kind: InboundEvent.Kind = fault == .readsHumanRepliesAsMessages
                    ? .message(InboundMessage(text: item["text"] as? String)) : .echo(Echo(text: item["text"] as? String))
                return InboundEvent(channel: name, accountID: "lax", senderID: to, platformMessageID: id, timestamp: date, kind: kind)
            }
            return InboundEvent(channel: name, accountID: "lax", senderID: from, platformMessageID: id, timestamp: date,
                                kind: isStatus ? .ignored(IgnoredEvent(reason: .status)) : .message(message(in: item)))
        })
    }

    /// The text and the media attachment of an item, with the channel's fault.
    private func message(in item: [String: Any]) -> InboundMessage {
        var text = item["text"] as? String
        guard let media = item["media"] as? [String: Any], fault != .dropsAttachments else { return InboundMessage(text: text) }
        let type = media["type"] as? String ?? ""
        let kind: ChannelKit.Attachment.Kind = type == "image" ? .image : .audio
        if kind == .audio, fault == .labelsVoiceNotes { text = "[voice note]" }
        let large = (media["size"] as? Int ?? 0) > 32 * 1024
        let url = fault == .passesLargeMediaUnfetched && large ? nil : media["url"] as? String
        return InboundMessage(text: text, attachments: [ChannelKit.Attachment(kind: kind, platformType: type, url: url)])
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
