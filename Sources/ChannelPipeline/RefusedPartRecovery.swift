import ChannelKit
import ChannelRendering
import Foundation
import Logging

/// What the pipeline does when the platform refuses a reply part for a parameter of the
/// message itself (``ChannelError/isInvalidParameter``, Graph's code 100) — most often a text
/// the platform counts as longer than the profile's limit: the person must not be left with
/// nothing.
///
/// - A part that splits smaller is split again within half the channel's limit (in every unit
///   the limit is counted in, graphemes whole, code fences closed and reopened), and the pieces
///   take its place.
/// - A part that does not — a piece of such a split, or a short part — is replaced by the
///   fallback text, and the reply's remaining parts are abandoned: the fallback is its last word.
/// - The fallback refused in turn is beyond help (it is never split): the caller gives up as for
///   any permanent error.
///
/// So a part goes at most three ways: whole, in pieces, then as the fallback.
///
/// Each replacement is recorded in the outbox (``OutboxStore/replaceRefusedPart(_:with:reason:abandoningRest:at:)``)
/// before anything is sent, so a restart resends nothing that went out and loses nothing that
/// did not. The decision depends only on the refused text, so it is the same after a restart.
struct RefusedPartRecovery: Sendable {
    /// What the caller does next.
    enum Outcome: Sendable {
        /// Send the reply's pending parts again: the refused one is replaced.
        case deliver([OutboxPart])
        /// Nothing more to try: give up on the item as for any permanent error.
        case giveUp
        /// The store could not record the replacement: try the item again later.
        case storeUnavailable
    }

    let store: any PipelineStore
    let renderer: MarkdownRenderer
    /// The fallback, in Markdown (``Pipeline/Options/refusedReplyFallback``).
    let fallback: String
    let now: @Sendable () -> Date

    /// Replaces `part`, refused with `failure`, when that can help.
    /// - Parameter fence: the worker's lease, which the replacement is recorded under.
    func recover(_ part: OutboxPart, refusedWith failure: ChannelError, profile: ChannelProfile, fence: LeaseFence,
                 logger: Logger) async -> Outcome {
        guard failure.code == .permanent, failure.isInvalidParameter, !part.message.text.isEmpty else { return .giveUp }
        let fallbackParts = renderer.render(fallback, for: profile)
        guard !fallbackParts.contains(part.message.text) else {
            logger.error("the fallback for a refused reply was refused too", metadata: ["error": "\(failure)"])
            return .giveUp
        }
        let smaller = profile.textLimit.withMaximum(max(1, profile.textLimit.maximum / 2))
        let pieces = renderer.resplit(part.message.text, for: profile, within: smaller)
        let replacement: [OutboundMessage]
        let abandoningRest: Bool
        if pieces.count > 1 {
            replacement = pieces.enumerated().map { index, text in
                OutboundMessage(text: text, quickReplies: index == pieces.count - 1 ? part.message.quickReplies : [])
            }
            abandoningRest = false
            logger.warning("reply part refused as an invalid parameter; sending it split smaller", metadata: [
                "part": "\(part.index + 1)", "pieces": "\(pieces.count)", "error": "\(failure)",
            ])
        } else {
            guard !fallbackParts.isEmpty else { return .giveUp }
            replacement = fallbackParts.map { OutboundMessage(text: $0) }
            abandoningRest = true
            logger.error("reply part refused even split smaller; the person gets the fallback instead of the rest of the reply",
                         metadata: ["part": "\(part.index + 1)", "error": "\(failure)"])
        }
        do {
            return .deliver(try await store.replaceRefusedPart(part.id, with: replacement, reason: failure.description,
                                                               abandoningRest: abandoningRest, fence: fence, at: now()))
        } catch {
            logger.warning("refused part not replaced; trying the item again later", metadata: ["error": "\(error)"])
            return .storeUnavailable
        }
    }
}
