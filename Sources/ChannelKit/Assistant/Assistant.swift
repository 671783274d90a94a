import Foundation
import Logging

/// Sandra's brain, as the pipeline sees it: a turn in, Markdown out.
///
/// Backends live outside ChannelKit (the host has `echo` and an OpenAI-compatible client).
public protocol Assistant: Sendable {
    /// Answers one turn.
    /// - Returns: the reply in Markdown; the pipeline renders it for the channel.
    /// - Throws: any error; the pipeline answers the person with a short apology instead.
    func reply(to turn: AssistantTurn, logger: Logger) async throws -> AssistantReply
}

/// Everything the assistant gets for one turn.
public struct AssistantTurn: Sendable {
    /// The conversation.
    public var conversation: ConversationKey
    /// The new message.
    public var message: UserMessage
    /// Earlier turns of the conversation, oldest first.
    public var history: [ConversationTurn]
    /// The Sandra profile linked to this person, if any.
    public var profile: SandraProfile?
    /// What the channel can display, so replies can be shaped for it.
    public var channelProfile: ChannelProfile

    /// Creates a turn.
    public init(conversation: ConversationKey, message: UserMessage, history: [ConversationTurn],
                profile: SandraProfile?, channelProfile: ChannelProfile) {
        self.conversation = conversation
        self.message = message
        self.history = history
        self.profile = profile
        self.channelProfile = channelProfile
    }
}

/// A person's message as the assistant sees it.
///
/// Media arrives as attachments (kind and URL); a ``MessagePreparer`` turns images into
/// ``images`` (bytes in memory) and voice into ``transcript`` before the assistant runs. The
/// message is deliberately not `Codable`: its media must never be persisted.
public struct UserMessage: Sendable, Hashable {
    /// The text: what was typed, a quick reply's title, or a postback's title.
    public var text: String
    /// Attachments (media, shares), described by kind and URL; media the preparer handled is
    /// no longer listed here.
    public var attachments: [Attachment]
    /// A quick reply's or postback's payload, when the person tapped a button.
    public var payload: String?
    /// The images of the message, in memory, in the message's order.
    public var images: [ImageContent]
    /// What the person said in their voice message(s), transcribed.
    public var transcript: String?
    /// Notes about media that could not be used (`[image not opened: larger than 25 MB]`),
    /// for the assistant and the conversation history.
    public var mediaNotes: [String]

    /// Creates a message.
    public init(text: String, attachments: [Attachment] = [], payload: String? = nil, images: [ImageContent] = [],
                transcript: String? = nil, mediaNotes: [String] = []) {
        self.text = text
        self.attachments = attachments
        self.payload = payload
        self.images = images
        self.transcript = transcript
        self.mediaNotes = mediaNotes
    }

    /// The message as the conversation history keeps it: the text, the transcript, a note per
    /// image (`[image: image/jpeg, 640×480, 123 KB]`) and per problem or other attachment —
    /// never media bytes.
    public var historyText: String {
        var lines: [String] = []
        if !text.isEmpty { lines.append(text) }
        if let transcript { lines.append("[voice message, transcribed] \(transcript)") }
        lines += images.map(\.note)
        lines += mediaNotes
        lines += attachments.map { "[\($0.kind.rawValue)]" }
        return lines.joined(separator: "\n")
    }
}

/// The assistant's answer.
public struct AssistantReply: Sendable, Hashable {
    /// The answer in Markdown.
    public var markdown: String
    /// Buttons to offer with the answer, where the channel supports them.
    public var quickReplies: [QuickReply]

    /// Creates a reply.
    public init(markdown: String, quickReplies: [QuickReply] = []) {
        self.markdown = markdown
        self.quickReplies = quickReplies
    }
}

/// One earlier turn of a conversation.
public struct ConversationTurn: Sendable, Hashable, Codable {
    /// Who spoke.
    public var role: Role
    /// What was said (the person's text, or the assistant's Markdown).
    public var text: String
    /// When.
    public var timestamp: Date

    /// Speakers.
    public enum Role: String, Sendable, Hashable, Codable {
        case user, assistant
    }

    /// Creates a turn.
    public init(role: Role, text: String, timestamp: Date) {
        self.role = role
        self.text = text
        self.timestamp = timestamp
    }
}
