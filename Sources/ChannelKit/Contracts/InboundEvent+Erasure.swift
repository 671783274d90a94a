import Foundation

extension InboundEvent {
    /// What stands in for the sender of an event whose person asked to be erased.
    public static let erasedSenderID = "[erased]"

    /// The event with nothing left of what the person wrote or sent: text, quick-reply and
    /// postback payloads and titles become ``redactedText``; attachments (URLs, media ids,
    /// captions), the referral, the reply reference and an ignored event's detail are removed.
    /// The channel, account, platform message id (the deduplication key), timestamp and kind stay.
    public var withoutContent: InboundEvent {
        var copy = redacted
        switch copy.kind {
        case .message(var message):
            message.attachments = []
            message.referral = nil
            message.replyTo = nil
            copy.kind = .message(message)
        case .postback(var postback):
            postback.referral = nil
            copy.kind = .postback(postback)
        case .ignored(var ignored):
            ignored.detail = nil
            copy.kind = .ignored(ignored)
        case .echo(var echo):
            echo.attachments = []
            copy.kind = .echo(echo)
        case .control(var control):
            control.metadata = nil
            copy.kind = .control(control)
        }
        return copy
    }

    /// ``withoutContent``, and the sender replaced by ``erasedSenderID``: what an erasure
    /// leaves of a person's event, so that its key still catches a late redelivery.
    public var erased: InboundEvent {
        var copy = withoutContent
        copy.senderID = Self.erasedSenderID
        copy.alternativeSenderIDs = []
        copy.replyAddress = nil
        return copy
    }
}

extension OutboundMessage {
    /// The message with its text replaced by ``InboundEvent/redactedText`` and no quick replies.
    public var withoutContent: OutboundMessage {
        var copy = self
        copy.text = InboundEvent.redactedText
        copy.quickReplies = []
        return copy
    }
}
