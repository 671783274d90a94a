import Foundation
import Yams

// MARK: - Reading `handover:` of channels.yaml

extension ConfigurationLoader {
    /// Reads `handover:`; a per-channel entry must name a configured channel.
    func readHandover(_ section: MappingReader, channels: [ChannelConfiguration]) -> HandoverConfiguration {
        section.rejectUnknownKeys(known: HandoverConfiguration.keys)
        var handover = HandoverConfiguration()
        handover.pauseMinutes = section.integer("pause_minutes", default: 30, minimum: 0, maximum: 7 * 24 * 60)
        handover.requestPhrasesGiven = section.entry("request_phrases") != nil
        handover.requestPhrases = section.list("request_phrases") { .success($0) }
        handover.requestReply = section.string("request_reply", default: "")
        handover.requestPauseMinutes = section.integer("request_pause_minutes", default: 24 * 60, minimum: 0, maximum: 30 * 24 * 60)
        let perChannel = section.section("channels", expectation: "a mapping of channel names to { pause_minutes }")
        let names = Set(channels.map(\.name))
        for entry in perChannel.entries {
            let channel = perChannel.section(entry.key)
            guard names.contains(entry.key) else {
                perChannel.problems.add("no channel named '\(entry.key)' is configured", keyPath: perChannel.path(entry.key), at: entry.keyNode.mark)
                continue
            }
            channel.rejectUnknownKeys(known: ["pause_minutes"])
            handover.pauseMinutesByChannel[entry.key] = channel.integer("pause_minutes", default: handover.pauseMinutes, minimum: 0,
                                                                        maximum: 7 * 24 * 60)
        }
        return handover
    }
}
