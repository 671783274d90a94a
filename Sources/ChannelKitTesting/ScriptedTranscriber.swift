import ChannelKit
import ChannelMedia
import Logging
import Synchronization

/// A transcriber for tests: answers with a closure, in memory, and records every piece of
/// audio it was handed.
///
/// ```swift
/// let heard = ScriptedTranscriber("book a table for two")   // always hears this
/// let deaf = ScriptedTranscriber(nil)                        // always fails
/// heard.audios.map(\.format)                                 // [.mp4Audio]
/// ```
public final class ScriptedTranscriber: Transcriber, Sendable {
    private let answer: @Sendable (MediaData) async throws -> String
    private let received = Mutex<[MediaData]>([])

    /// Creates a transcriber.
    /// - Parameter answer: the transcript of a piece of audio; throw to simulate a failure.
    public init(answer: @escaping @Sendable (MediaData) async throws -> String) {
        self.answer = answer
    }

    /// A transcriber that always hears `transcript`, or always fails when it is `nil`.
    public convenience init(_ transcript: String?) {
        self.init { _ in
            guard let transcript else { throw MediaError(.transcriptionFailed, "the scripted transcriber fails") }
            return transcript
        }
    }

    /// Every piece of audio handed over so far, in order.
    public var audios: [MediaData] { received.withLock { $0 } }

    public func transcribe(_ audio: MediaData, logger: Logger) async throws -> String {
        received.withLock { $0.append(audio) }
        return try await answer(audio)
    }
}
