import ChannelKit
import ChannelKitTesting
import ExampleWebhookChannel
import Foundation
import Logging
import Testing

@Suite("Example webhook channel")
struct ExampleWebhookChannelTests {
    @Test("passes the channel conformance suite")
    func conformance() async {
        await ChannelConformance.run(ExampleWebhookSubject())
    }

    @Test("a single object and an array of objects both parse; numeric-string timestamps are seconds")
    func parsing() throws {
        let channel = try ExampleWebhookSubject().makeChannel(http: FakePlatformAPI(subject: ExampleWebhookSubject()))
        let single = Array(#"{"id":"m1","from":"u1","text":"Hi","timestamp":"1760000000"}"#.utf8)
        let request = WebhookRequest(method: .post, headers: [ExampleWebhookSignature.headerName: ExampleWebhookSignature.sign(body: single, secret: ExampleWebhookSubject.secret)], body: single)
        guard case .events(let events) = try channel.handle(request, logger: Logger(label: "t")) else {
            Issue.record("expected events")
            return
        }
        #expect(events.count == 1)
        #expect(events.first?.senderID == "u1")
        #expect(events.first?.timestamp == Date(timeIntervalSince1970: 1_760_000_000))
        #expect(events.first?.kind == .message(InboundMessage(text: "Hi")))
    }

    @Test("attachments become media attachments with their URL, with or without text; unknown types are other")
    func attachments() throws {
        let channel = try ExampleWebhookSubject().makeChannel(http: FakePlatformAPI(subject: ExampleWebhookSubject()))
        let body = Array(#"""
            [{"id":"m1","from":"u1","timestamp":1,"attachments":[{"type":"image","url":"https://media.example.com/p/1.jpg","mime_type":"image/jpeg"}]},
             {"id":"m2","from":"u1","timestamp":2,"text":"listen","attachments":[{"type":"audio","url":"https://media.example.com/v/2.m4a"},{"type":"sticker","url":"https://media.example.com/s/3"}]}]
            """#.utf8)
        let request = WebhookRequest(method: .post, headers: [ExampleWebhookSignature.headerName: ExampleWebhookSignature.sign(body: body, secret: ExampleWebhookSubject.secret)], body: body)
        guard case .events(let events) = try channel.handle(request, logger: Logger(label: "t")) else {
            Issue.record("expected events")
            return
        }
        #expect(events.map(\.kind) == [
            .message(InboundMessage(attachments: [ChannelKit.Attachment(kind: .image, platformType: "image", url: "https://media.example.com/p/1.jpg", mimeType: "image/jpeg")])),
            .message(InboundMessage(text: "listen", attachments: [
                ChannelKit.Attachment(kind: .audio, platformType: "audio", url: "https://media.example.com/v/2.m4a"),
                ChannelKit.Attachment(kind: .other, platformType: "sticker", url: "https://media.example.com/s/3"),
            ])),
        ])
    }

    @Test("a signed body that is not a delivery is malformed; a GET is not allowed")
    func refusals() throws {
        let channel = try ExampleWebhookSubject().makeChannel(http: FakePlatformAPI(subject: ExampleWebhookSubject()))
        for text in [#"{"from":"u1","text":"Hi","timestamp":1}"#, #"{"id":"m","from":"u","type":"poll","timestamp":1}"#, "not json",
                     #"{"id":"m","from":"u","timestamp":1}"#, #"{"id":"m","from":"u","text":"","attachments":[],"timestamp":1}"#,
                     #"{"id":"m","from":"u","timestamp":1,"attachments":[{"type":"image"}]}"#] {
            let body = Array(text.utf8)
            let request = WebhookRequest(method: .post, headers: [ExampleWebhookSignature.headerName: ExampleWebhookSignature.sign(body: body, secret: ExampleWebhookSubject.secret)], body: body)
            do {
                _ = try channel.handle(request, logger: Logger(label: "t"))
                Issue.record("a malformed body was accepted")
            } catch let error as ChannelError {
                #expect(error.code == .malformedPayload)
            }
        }
        do {
            _ = try channel.handle(WebhookRequest(method: .get), logger: Logger(label: "t"))
            Issue.record("a GET was accepted")
        } catch let error as ChannelError {
            #expect(error.code == .methodNotAllowed)
        }
    }

    @Test("signatures: the right secret verifies, anything else does not")
    func signatures() {
        let body = Array(#"{"id":"1"}"#.utf8)
        let header = ExampleWebhookSignature.sign(body: body, secret: "s3cret")
        #expect(ExampleWebhookSignature.isValid(header, body: body, secret: "s3cret"))
        #expect(!ExampleWebhookSignature.isValid(header, body: body, secret: "other"))
        #expect(!ExampleWebhookSignature.isValid(header, body: body, secret: ""))
        #expect(!ExampleWebhookSignature.isValid(header.uppercased(), body: body, secret: "s3cret"))
        #expect(!ExampleWebhookSignature.isValid(String(header.dropLast()), body: body, secret: "s3cret"))
        #expect(!ExampleWebhookSignature.isValid(nil, body: body, secret: "s3cret"))
        #expect(ExampleWebhookSignature.isValid("sha256=" + header.dropFirst(7).uppercased(), body: body, secret: "s3cret"))
    }
}
