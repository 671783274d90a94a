import ChannelKit
import ChannelKitTesting
import ChannelPipeline
import Foundation
import Logging
import Synchronization
import Testing

/// Records what reaches the next step.
private final class NextStep: MessagePreparer, Sendable {
    private let seen = Mutex<[String]>([])
    func prepare(_ message: UserMessage, of event: InboundEvent, channel: any Channel, logger: Logger) async -> MessagePreparation {
        seen.withLock { $0.append(event.platformMessageID) }
        return MessagePreparation(message: message)
    }
    var ids: [String] { seen.withLock { $0 } }
}

@Suite("Readable message step")
struct ReadableMessageStepTests {
    let logger = Logger(label: "test")

    func prepare(_ step: ReadableMessageStep, _ message: InboundMessage, id: String = "m1") async -> MessagePreparation {
        let event = InboundEvent(channel: "test", accountID: "acct", senderID: "u1", platformMessageID: id,
                                 timestamp: Date(timeIntervalSince1970: 1_760_000_000), kind: .message(message))
        let user = UserMessage(text: message.text ?? "", attachments: message.attachments, payload: message.quickReplyPayload)
        return await step.prepare(user, of: event, channel: RecordingChannel(), logger: logger)
    }

    @Test("a message with nothing Sandra can read gets the reply saying what she reads; the next step is not asked")
    func unreadable() async {
        let next = NextStep()
        let step = ReadableMessageStep(next: next)
        for kind in [Attachment.Kind.unsupported, .share, .reel, .story, .file, .video, .other] {
            let result = await prepare(step, InboundMessage(attachments: [Attachment(kind: kind, platformType: kind.rawValue)]))
            #expect(result.directReply?.markdown == ReadableMessageStep.defaultUnreadableReply, "\(kind)")
        }
        #expect(next.ids.isEmpty)
        let custom = ReadableMessageStep(unreadableReply: "Text only, please.", next: nil)
        let answer = await prepare(custom, InboundMessage(attachments: [Attachment(kind: .unsupported, platformType: "order")]))
        #expect(answer.directReply?.markdown == "Text only, please.")
    }

    @Test("a sticker, text, a button payload, a photo or a voice message go on to the next step")
    func readable() async {
        let next = NextStep()
        let step = ReadableMessageStep(next: next)
        let photo = Attachment(kind: .image, platformType: "image", mediaID: "1")
        let voice = Attachment(kind: .audio, platformType: "voice", url: "https://lookaside.fbsbx.com/v")
        let share = Attachment(kind: .share, platformType: "share")
        let heart = Attachment(kind: .sticker, platformType: "like_heart")
        for (id, message) in [
            ("sticker", InboundMessage(attachments: [heart])),
            ("text", InboundMessage(text: "look at this", attachments: [share])),
            ("payload", InboundMessage(text: "", quickReplyPayload: "slot-1")),
            ("photo", InboundMessage(attachments: [photo, share])),
            ("voice", InboundMessage(attachments: [voice])),
        ] {
            let result = await prepare(step, message, id: id)
            #expect(result.directReply == nil, "\(id)")
        }
        #expect(next.ids == ["sticker", "text", "payload", "photo", "voice"])
    }

    @Test("an automatic reply the channel set (a story mention's thanks) is sent as it is")
    func automaticReply() async {
        let next = NextStep()
        let result = await prepare(ReadableMessageStep(next: next),
                                   InboundMessage(attachments: [Attachment(kind: .story, platformType: "story_mention")], automaticReply: "Thanks for the mention!"))
        #expect(result.directReply?.markdown == "Thanks for the mention!")
        #expect(next.ids.isEmpty)
    }
}
