import ChannelKit
import ChannelMedia
import Logging

/// A stand-in for speech recognition, used only with the echo assistant (the sandbox on
/// embedded defaults): it does not recognise speech, it reports what it received — the
/// sniffed type, the duration when the header says, and the size — clearly labelled, so the
/// whole voice path can be seen without a provider.
struct EchoTranscriber: Transcriber {
    /// What every echo transcript starts with.
    static let label = "[echo transcriber: no speech recognition configured]"

    func transcribe(_ audio: MediaData, logger: Logger) async throws -> String {
        var facts = [audio.format.mimeType]
        if let duration = MediaSniffer.duration(of: audio.bytes, format: audio.format) {
            let tenths = (duration.components.seconds * 10) + Int64(duration.components.attoseconds / 100_000_000_000_000_000)
            facts.append("\(tenths / 10).\(tenths % 10) s")
        }
        facts.append(MediaData.sizeText(audio.byteCount))
        return "\(Self.label) \(facts.joined(separator: ", "))"
    }
}
