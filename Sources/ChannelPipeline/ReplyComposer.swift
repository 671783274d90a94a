import ChannelKit
import ChannelRendering
import Logging

/// Turns an answer in Markdown into the messages a channel takes: rendered and split by its
/// profile (``MarkdownRenderer``), with the answer's quick replies, within the platform's
/// limits, on the last message. An answer that renders to nothing becomes the apology.
struct ReplyComposer: Sendable {
    let renderer: MarkdownRenderer
    let apology: String

    /// The answer as sent (the apology in place of an empty one) and its messages.
    func compose(_ answer: AssistantReply, for profile: ChannelProfile, logger: Logger) -> (answer: AssistantReply, messages: [OutboundMessage]) {
        var reply = answer
        var texts = renderer.render(reply.markdown, for: profile)
        if texts.isEmpty {
            logger.warning("assistant reply was empty; sending the apology")
            reply = AssistantReply(markdown: apology)
            texts = renderer.render(apology, for: profile)
        }
        var messages = texts.map { OutboundMessage(text: $0) }
        if let limits = profile.quickReplies, !reply.quickReplies.isEmpty, !messages.isEmpty {
            messages[messages.count - 1].quickReplies = reply.quickReplies.prefix(limits.maximumCount).map {
                QuickReply(title: String($0.title.prefix(limits.maximumTitleLength)), payload: $0.payload)
            }
        }
        return (reply, messages)
    }
}
