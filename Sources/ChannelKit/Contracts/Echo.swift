import Foundation

/// A message the business account sent, as the platform echoes it back: this host's own
/// reply, another app's (a helpdesk), or a person's typed in Meta's apps or the WhatsApp
/// Business app.
///
/// The channel fills in what the platform says; the pipeline decides whose it was (by app id,
/// or by the message id this host's send got back) in the conversation's turn, after any reply
/// of this host still being sent.
public struct Echo: Sendable, Hashable, Codable {
    /// The text sent, if any.
    public var text: String?
    /// Media and shares sent with it.
    public var attachments: [Attachment]
    /// The id of the app that sent it, when the platform says (Messenger, Instagram); `nil`
    /// when it does not (a person in Meta's apps, the WhatsApp Business app).
    public var appID: String?
    /// The platform's id of the message sent, when it is not the event's own
    /// ``InboundEvent/platformMessageID`` (a channel that keys echoes apart from messages):
    /// what this host's send of it got back.
    public var sentMessageID: String?

    /// Creates an echo.
    public init(text: String? = nil, attachments: [Attachment] = [], appID: String? = nil, sentMessageID: String? = nil) {
        self.text = text
        self.attachments = attachments
        self.appID = appID
        self.sentMessageID = sentMessageID
    }
}
