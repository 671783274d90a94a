import ChannelPipeline
import Foundation

/// The `handover:` section of `channels.yaml`: when Sandra steps back for a person of the
/// business.
///
/// | Key | Default | Meaning |
/// |-----|---------|---------|
/// | `pause_minutes` | `30` | A reply from a person of the business (from Meta's apps, a helpdesk, the WhatsApp Business app) pauses Sandra in that conversation this long; each further reply extends it. |
/// | `request_phrases` | talk to a person, … | What a person writes to ask for a person (whole words, any case, anywhere in the message); `[]`: never. |
/// | `request_reply` | "Of course: …" | Sandra's answer to such a request. |
/// | `request_pause_minutes` | `1440` | How long Sandra then stays quiet there, waiting for a person of the business. |
/// | `channels` | none | Per channel: `{ <name>: { pause_minutes: N } }`. |
struct HandoverConfiguration: Sendable, Hashable {
    /// The keys of the section.
    static let keys = ["pause_minutes", "request_phrases", "request_reply", "request_pause_minutes", "channels"]

    /// `pause_minutes`.
    var pauseMinutes: Int = 30
    /// `request_phrases`.
    var requestPhrases: [String] = []
    /// Whether `request_phrases` was given (an empty list turns requests off).
    var requestPhrasesGiven = false
    /// `request_reply`; empty: the pipeline's default.
    var requestReply: String = ""
    /// `request_pause_minutes`.
    var requestPauseMinutes: Int = 24 * 60
    /// `channels.<name>.pause_minutes`.
    var pauseMinutesByChannel: [String: Int] = [:]
}


extension HandoverConfiguration {
    /// The pipeline's policy these settings describe.
    var policy: HandoverPolicy {
        var policy = HandoverPolicy(pause: .seconds(pauseMinutes * 60),
                                    pauseByChannel: pauseMinutesByChannel.mapValues { .seconds($0 * 60) },
                                    requestPause: .seconds(requestPauseMinutes * 60))
        if requestPhrasesGiven { policy.requestPhrases = requestPhrases }
        if !requestReply.isEmpty { policy.requestReply = requestReply }
        return policy
    }
}
