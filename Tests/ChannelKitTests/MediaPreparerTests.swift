import ChannelKit
import ChannelKitTesting
import ChannelMedia
import Foundation
import HTTPTypes
import Logging
import Synchronization
import Testing

/// A CDN in memory, behind the transport contract: answers per URL and records every request.
final class MemoryCDN: HTTPTransport, Sendable {
    private let files: [String: (status: Int, contentType: String, body: [UInt8])]
    private let recorded = Mutex<[String]>([])

    init(_ files: [String: (status: Int, contentType: String, body: [UInt8])]) {
        self.files = files
    }

    func execute(_ request: OutboundHTTPRequest) async throws -> OutboundHTTPResponse {
        recorded.withLock { $0.append(request.url) }
        guard let file = files[request.url] else { return OutboundHTTPResponse(status: .notFound) }
        guard file.body.count <= request.maxResponseBytes else {
            throw HTTPTransportError(.responseTooLarge, "over \(request.maxResponseBytes)")
        }
        return OutboundHTTPResponse(status: .init(code: file.status), headers: [.contentType: file.contentType], body: file.body)
    }

    var requests: [String] { recorded.withLock { $0 } }
}

@Suite("Media preparation")
struct MediaPreparerTests {
    static let logger = Logger(label: "test")
    static let cdn = "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id="
    static let png = MediaFixtures.png(width: 3, height: 2)
    static let jpeg = MediaFixtures.jpeg(width: 64, height: 48)
    static let voice = MediaFixtures.mp4(milliseconds: 2_000)

    static func files() -> MemoryCDN {
        MemoryCDN([
            cdn + "png": (200, "image/png", png),
            cdn + "jpeg": (200, "application/octet-stream", jpeg),
            cdn + "voice": (200, "video/mp4", voice),
            cdn + "heic": (200, "image/jpeg", MediaFixtures.heic()),
            cdn + "html": (200, "text/html", Array("<html>expired</html>".utf8)),
            cdn + "gone": (403, "text/plain", Array("URL signature expired".utf8)),
            cdn + "big": (200, "image/jpeg", MediaFixtures.jpeg(filler: 300_000)),
        ])
    }

    static func preparer(_ cdn: MemoryCDN, transcriber: (any Transcriber)? = nil) -> MediaPreparer {
        let policy = MediaPolicy(allowedHosts: ["lookaside.fbsbx.com"], maxBytes: 100_000)
        return MediaPreparer(fetcher: MediaFetcher(http: cdn, resolver: PublicAddressResolver(), timers: TestThreads.timers), policies: ["test": policy], transcriber: transcriber)
    }

    static func prepare(_ preparer: MediaPreparer, _ attachments: [ChannelKit.Attachment], text: String? = nil) async -> MessagePreparation {
        let event = EventFactory.media(attachments, text: text, from: "u1", id: "m1")
        guard case .message(let message) = event.kind else { fatalError("a message event") }
        let user = UserMessage(text: message.text ?? "", attachments: message.attachments)
        return await preparer.prepare(user, of: event, channel: RecordingChannel(), logger: logger)
    }

    static func image(_ name: String) -> ChannelKit.Attachment { ChannelKit.Attachment(kind: .image, platformType: "image", url: cdn + name) }
    static func audio(_ name: String) -> ChannelKit.Attachment { ChannelKit.Attachment(kind: .audio, platformType: "audio", url: cdn + name) }

    @Test("every image of a message becomes an image part with its bytes and sniffed type, in order")
    func images() async {
        let cdn = Self.files()
        let result = await Self.prepare(Self.preparer(cdn), [Self.image("png"), Self.image("jpeg")], text: "what is this?")
        #expect(result.directReply == nil && result.notice == nil)
        #expect(result.message.images.map(\.bytes) == [Self.png, Self.jpeg])
        #expect(result.message.images.map(\.mimeType) == ["image/png", "image/jpeg"])
        #expect(result.message.images.first?.pixelSize == PixelSize(width: 3, height: 2))
        #expect(result.message.attachments.isEmpty)
        #expect(result.message.text == "what is this?")
        #expect(result.message.historyText == "what is this?\n[image: image/png, 3×2, \(Self.png.count) bytes]\n[image: image/jpeg, 64×48, \(Self.jpeg.count) bytes]")
        #expect(result.message.images.first?.dataURL == "data:image/png;base64," + Data(Self.png).base64EncodedString())
    }

    @Test("a voice note served as video/mp4 is transcribed as audio/mp4")
    func voice() async {
        let transcriber = ScriptedTranscriber("book a table for two")
        let result = await Self.prepare(Self.preparer(Self.files(), transcriber: transcriber), [Self.audio("voice")])
        #expect(result.directReply == nil)
        #expect(result.message.transcript == "book a table for two")
        #expect(transcriber.audios.map(\.bytes) == [Self.voice])
        #expect(transcriber.audios.first?.format.mimeType == "audio/mp4")
        #expect(result.message.historyText == "[voice message, transcribed] book a table for two")
    }

    @Test("without a transcriber a voice message gets the friendly reply and is not downloaded")
    func voiceUnavailable() async {
        let cdn = Self.files()
        let result = await Self.prepare(Self.preparer(cdn), [Self.audio("voice")])
        #expect(result.directReply?.markdown == MediaWording().voiceUnavailable)
        #expect(cdn.requests.isEmpty)
    }

    @Test("a failed transcription asks for text")
    func transcriptionFails() async {
        let result = await Self.prepare(Self.preparer(Self.files(), transcriber: ScriptedTranscriber(nil)), [Self.audio("voice")])
        #expect(result.directReply?.markdown == MediaWording().transcriptionFailed)
        #expect(result.message.historyText == "[voice message not transcribed]")
    }

    @Test("an image that cannot be used alone gets a friendly reply naming the reason", arguments: [
        ("heic", "I can't read HEIC pictures yet"),
        ("html", "I can't open that kind of file as a picture"),
        ("gone", "the link to it has expired"),
        ("missing", "the link to it has expired"),
        ("big", "too large for me to open (the limit is 98 KB)"),
    ])
    func imageProblems(name: String, expected: String) async {
        let result = await Self.prepare(Self.preparer(Self.files()), [Self.image(name)])
        let reply = result.directReply?.markdown ?? ""
        #expect(reply.contains(expected), "\(reply)")
        #expect(result.message.images.isEmpty)
        #expect(result.message.mediaNotes.count == 1)
    }

    @Test("a disallowed host is refused before any request")
    func disallowedHost() async {
        let cdn = Self.files()
        let attachment = ChannelKit.Attachment(kind: .image, platformType: "image", url: "https://evil.example.com/a.png")
        let result = await Self.prepare(Self.preparer(cdn), [attachment])
        #expect(result.directReply?.markdown == MediaWording().imageFailed)
        #expect(cdn.requests.isEmpty)
    }

    @Test("with text, a bad image gives a notice before the assistant's answer and the good parts still go")
    func partialFailure() async {
        let result = await Self.prepare(Self.preparer(Self.files()), [Self.image("png"), Self.image("gone")], text: "look")
        #expect(result.directReply == nil)
        #expect(result.notice == MediaWording().imageExpired)
        #expect(result.message.images.count == 1)
        #expect(result.message.mediaNotes == ["[image not opened: the link expired]"])
    }

    @Test("shares and other attachments are left for the assistant as they are")
    func otherAttachments() async {
        let cdn = Self.files()
        let share = ChannelKit.Attachment(kind: .share, platformType: "share", url: Self.cdn + "png")
        let result = await Self.prepare(Self.preparer(cdn), [share])
        #expect(result.message.attachments == [share])
        #expect(cdn.requests.isEmpty)
    }
}
