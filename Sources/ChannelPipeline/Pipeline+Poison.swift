import ChannelKit
import Foundation
import Logging

extension Pipeline {
    /// What the person gets when their message is given up because the host kept stopping
    /// while answering it (``Options/poisonApology``).
    public static let defaultPoisonApology =
        "Sorry, something went wrong on my side while reading that message, so I can't answer it. "
        + "Could you send it again, perhaps in another way?"

    /// Gives up on an item that the host stopped in the middle of answering more often than
    /// ``Options/maxInterruptedClaims`` allows (claims counted in the store that never ended):
    /// the item is `dead` first, so that even a crash while apologising cannot bring it back,
    /// then the person gets ``Options/poisonApology`` (``sendNotice(_:to:through:logger:)``).
    func giveUp(onPoison item: InboxItem, channel: any Channel, logger: Logger) async -> ConversationDispatcher.Verdict {
        let interrupted = item.unfinishedClaims - 1
        let reason = "the host stopped \(interrupted) times while answering this message; given up as a poison message"
        do {
            try await store.kill(item.id, reason: reason, fence: LeaseFence(item), at: now())
        } catch {
            logger.warning("poison message not marked dead; will try again", metadata: ["error": "\(error)"])
            return .retry(at: now().addingTimeInterval(5))
        }
        logger.error("giving up on a message the host stopped in the middle of answering; it is dead (see `sandra inbox`)",
                     metadata: ["interrupted_claims": "\(interrupted)"])
        // An echo or a thread-control change was never the person's to be answered or apologised to.
        guard item.event.isAnswerable else { return .finished }
        await sendNotice(options.poisonApology, to: item.event.recipient, through: channel, logger: logger)
        return .finished
    }
}
