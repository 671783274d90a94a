import ChannelKit
import ChannelPipeline
import Foundation
import Testing

// MARK: - Human takeover

extension ChannelConformance {
    /// A reply a person of the business sent from outside this host — the platform's echo of a
    /// message typed in its apps, a helpdesk or the business app, with a message id this host
    /// never got back — is accepted and never answered; it goes into the conversation's history
    /// and pauses Sandra there: the person's next message is kept in the history, unanswered.
    /// A channel whose platform tells the host of no such replies declares it
    /// (``ChannelConformanceSubject/seesHumanReplies``) and builds no delivery.
    public static func humanReplyPauses(_ subject: any ChannelConformanceSubject) async throws {
        let harness = try await ConformanceHarness(subject: subject)
        let sender = "conf-takeover-user"
        // The pause runs from the reply's time: the person of the business writes now.
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let human = ConformanceHumanReply(recipient: sender, id: "conf.human.1", text: "Hi, Ana from the team here.", timestamp: now)
        guard subject.seesHumanReplies else {
            expect(subject.humanReplyDelivery(human) == nil, "a subject that sees no human replies built a delivery of one")
            return
        }
        guard let delivery = subject.humanReplyDelivery(human) else {
            Issue.record("channel conformance, human takeover: the subject builds no delivery of a person's reply; one whose platform sends none declares seesHumanReplies false")
            return
        }
        let first = ConformanceMessage(sender: sender, id: "conf.takeover.1", text: "hello", timestamp: now.addingTimeInterval(-60))
        try await harness.deliver(subject.delivery(of: [first], signature: .valid))
        await harness.idle()
        expect(harness.api.texts(to: sender) == ["re: hello"], "the first message got \(harness.api.texts(to: sender))")

        let (outcome, acceptance) = try await harness.deliver(delivery)
        guard case .events(let events) = outcome else {
            Issue.record("channel conformance, human takeover: the person's reply gave \(outcome), not events")
            return
        }
        expect(events.contains { if case .echo = $0.kind { true } else { false } }, "the person's reply was not read as an echo: \(events.map(\.kind))")
        expect(acceptance?.queued == 0, "the person's reply was queued for an answer")
        await harness.idle()

        let later = ConformanceMessage(sender: sender, id: "conf.takeover.2", text: "thanks Ana", timestamp: now.addingTimeInterval(1))
        try await harness.deliver(subject.delivery(of: [later], signature: .valid))
        await harness.idle()
        expect(harness.api.texts(to: sender) == ["re: hello"], "Sandra answered while a person of the business had the conversation: \(harness.api.texts(to: sender))")
        expect(harness.assistant.turns.count == 1, "the assistant was asked \(harness.assistant.turns.count) times, not once")
        let conversation = ConversationKey(channel: harness.channel.name, accountID: events.first?.accountID ?? "", userID: events.first?.senderID ?? sender)
        let history = await harness.store.history(of: conversation, limit: 10).map(\.text)
        expect(history == ["hello", "re: hello", human.text, later.text],
               "the conversation's history is \(history), not the exchange, the person's reply and the message meanwhile")
    }
}

/// A reply a person of the business sent from outside this host, as the kit asks a subject to
/// deliver the platform's echo of it.
public struct ConformanceHumanReply: ConformanceTimestamped, Sendable, Hashable {
    /// The person it went to (their platform id).
    public var recipient: String
    /// The platform's message id, one this host never got back from a send.
    public var id: String
    /// The text.
    public var text: String
    /// When it was sent; whole seconds.
    public var timestamp: Date

    /// Creates a reply.
    public init(recipient: String, id: String, text: String, timestamp: Date) {
        self.recipient = recipient
        self.id = id
        self.text = text
        self.timestamp = timestamp
    }
}
