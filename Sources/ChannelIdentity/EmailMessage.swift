import ChannelKit
/// A plain-text email to one recipient.
public struct EmailMessage: Sendable, Hashable {
    /// The recipient's address.
    public var to: String
    /// The subject line (any Unicode).
    public var subject: String
    /// The body, plain text (any Unicode; lines end with `\n`).
    public var text: String

    /// Creates a message.
    public init(to: String, subject: String, text: String) {
        self.to = to
        self.subject = subject
        self.text = text
    }
}
