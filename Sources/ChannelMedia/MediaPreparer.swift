import ChannelKit
import Foundation
import Logging

/// The pipeline's media step: downloads a message's images and voice messages into memory
/// (``MediaFetcher``, under the channel's ``MediaPolicy``), transcribes voice
/// (``Transcriber``), and hands the assistant image parts and the transcript.
///
/// Media is never written anywhere: the bytes live in the returned message for one turn.
/// What cannot be used gets a friendly word — as the whole answer when nothing else is left
/// to answer, or before the assistant's answer otherwise — and a note in the history.
///
/// ```swift
/// let preparer = MediaPreparer(fetcher: MediaFetcher(http: transport),
///                              policies: ["instagram": policy], transcriber: whisper)
/// let pipeline = Pipeline(channels: …, preparer: preparer, …)
/// ```
public struct MediaPreparer: MessagePreparer {
    /// The default number of media attachments taken from one message.
    public static let defaultMaxMediaPerMessage = 10

    private let fetcher: MediaFetcher
    private let policies: MediaPolicyTable
    private let transcriber: (any Transcriber)?
    private let wording: MediaWording
    private let maxMediaPerMessage: Int

    /// Creates the step.
    /// - Parameters:
    ///   - fetcher: downloads media.
    ///   - policies: per channel name; a channel without one gets its profile's allowed hosts and the defaults.
    ///   - transcriber: speech to text; `nil` answers voice messages with ``MediaWording/voiceUnavailable``.
    ///   - wording: what people are told when media cannot be used.
    ///   - maxMediaPerMessage: media attachments taken from one message; the rest are noted.
    public init(fetcher: MediaFetcher, policies: [String: MediaPolicy], transcriber: (any Transcriber)?,
                wording: MediaWording = MediaWording(), maxMediaPerMessage: Int = defaultMaxMediaPerMessage) {
        self.fetcher = fetcher
        self.policies = MediaPolicyTable(policies)
        self.transcriber = transcriber
        self.wording = wording
        self.maxMediaPerMessage = max(1, maxMediaPerMessage)
    }

    /// The policy a channel's media is fetched under.
    public func policy(for channel: any Channel) -> MediaPolicy {
        policies[channel.name] ?? MediaPolicy(allowedHosts: channel.profile.allowedMediaHosts)
    }

    /// Fetches a channel's media under `policy` from now on (the channel was reconfigured).
    public func setPolicy(_ policy: MediaPolicy, for channelName: String) {
        policies[channelName] = policy
    }

    /// Whether the step fetches an attachment: images and audio with a URL or a media id.
    package static func isMedia(_ attachment: Attachment) -> Bool {
        (attachment.kind == .image || attachment.kind == .audio) && (attachment.url != nil || attachment.mediaID != nil)
    }

    /// Downloads the message's images and voice messages, transcribes the voice, and says
    /// what could not be used.
    public func prepare(_ message: UserMessage, of event: InboundEvent, channel: any Channel, logger: Logger) async -> MessagePreparation {
        let media = message.attachments.filter(Self.isMedia)
        guard !media.isEmpty else { return MessagePreparation(message: message) }
        let policy = policy(for: channel)
        var prepared = message
        prepared.attachments = message.attachments.filter { !Self.isMedia($0) }
        var problems: [Problem] = []
        if media.count > maxMediaPerMessage { problems.append(Problem(subject: .image, reason: .tooMany)) }

        // Voice is not even downloaded when nothing can transcribe it.
        var wanted: [Attachment] = []
        for attachment in media.prefix(maxMediaPerMessage) {
            if attachment.kind == .audio, transcriber == nil {
                problems.append(Problem(subject: .voice, reason: .voiceUnavailable))
            } else {
                wanted.append(attachment)
            }
        }

        var transcripts: [String] = []
        let downloads = await download(wanted, from: channel, policy: policy, logger: logger)
        for (attachment, download) in zip(wanted, downloads) {
            let subject: Problem.Subject = attachment.kind == .audio ? .voice : .image
            let data: MediaData
            switch download {
            case .failure(let error):
                logger.warning("media not fetched", metadata: ["kind": "\(attachment.kind.rawValue)", "error": "\(error)"])
                problems.append(Problem(subject: subject, reason: .fetch(error)))
                continue
            case .success(let fetched):
                data = fetched
            }
            if data.format.isVisionImage {
                prepared.images.append(ImageContent(data))
            } else if data.format.isTranscribable {
                guard let transcriber else {
                    problems.append(Problem(subject: .voice, reason: .voiceUnavailable))
                    continue
                }
                do {
                    let text = try await transcriber.transcribe(data, logger: logger).trimmingWhitespaceAndNewlines
                    if text.isEmpty {
                        problems.append(Problem(subject: .voice, reason: .transcriptionFailed))
                    } else {
                        transcripts.append(text)
                    }
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("voice message not transcribed", metadata: ["error": "\(error)"])
                    problems.append(Problem(subject: .voice, reason: .transcriptionFailed))
                }
            } else {
                problems.append(Problem(subject: subject, reason: .unsupportedFormat(data.format)))
            }
        }
        if !transcripts.isEmpty { prepared.transcript = transcripts.joined(separator: "\n\n") }
        prepared.mediaNotes += problems.map(\.note)
        logger.debug("media prepared", metadata: [
            "images": "\(prepared.images.count)", "voice": "\(transcripts.count)", "problems": "\(problems.count)",
        ])

        guard !problems.isEmpty else { return MessagePreparation(message: prepared) }
        var notices: [String] = []
        for problem in problems {
            let text = problem.friendly(wording, policy: policy, maxMedia: maxMediaPerMessage)
            if !notices.contains(text) { notices.append(text) }
        }
        let notice = notices.joined(separator: "\n\n")
        let hasSomethingToAnswer = !prepared.text.trimmingWhitespaceAndNewlines.isEmpty || !prepared.images.isEmpty
            || prepared.transcript != nil || prepared.payload != nil || !prepared.attachments.isEmpty
        if hasSomethingToAnswer {
            return MessagePreparation(message: prepared, notice: notice)
        }
        return MessagePreparation(message: prepared, directReply: AssistantReply(markdown: notice))
    }

    /// Downloads every attachment at once; results in the attachments' order.
    ///
    /// Each child task returns a ``Download``, a struct whose fields are all known when it is
    /// built. Returning a tuple such as `(index, .success(try await fetch()))` from a child task
    /// is miscompiled by Swift 6.3 at `-O`: the part known before the suspension (the index) is
    /// written to the task's result before it suspends and is lost across the suspension, so the
    /// parent read a garbage index — a trap (SIGILL) in release builds on every downloaded photo
    /// (swiftlang/swift#91911 fixed this in SILGen and was reverted). The awaited value is bound
    /// first and the result built after every suspension; `Tests/ChannelKitTests/AsyncTupleResultTests.swift`
    /// keeps the shape out of the sources, and the end-to-end tests run against a release build.
    private func download(_ attachments: [Attachment], from channel: any Channel, policy: MediaPolicy,
                          logger: Logger) async -> [Result<MediaData, MediaError>] {
        guard !attachments.isEmpty else { return [] }
        return await withTaskGroup(of: Download.self) { group in
            for (index, attachment) in attachments.enumerated() {
                group.addTask { [fetcher] in
                    let result = await Self.fetch(attachment, from: channel, with: fetcher, policy: policy, logger: logger)
                    return Download(index: index, result: result)
                }
            }
            var results = [Result<MediaData, MediaError>?](repeating: nil, count: attachments.count)
            for await download in group where results.indices.contains(download.index) {
                results[download.index] = download.result
            }
            return results.map { $0 ?? .failure(MediaError(.connectionFailed, "the download ended without a result")) }
        }
    }

    /// One attachment's download, as a child task returns it.
    private struct Download: Sendable {
        var index: Int
        var result: Result<MediaData, MediaError>
    }

    /// Locates an attachment through its channel and downloads it.
    private static func fetch(_ attachment: Attachment, from channel: any Channel, with fetcher: MediaFetcher,
                              policy: MediaPolicy, logger: Logger) async -> Result<MediaData, MediaError> {
        let source: MediaSource?
        do {
            source = try await channel.mediaSource(for: attachment, logger: logger)
        } catch {
            return .failure(MediaError(.connectionFailed, "the channel could not locate the media: \(error)"))
        }
        guard let source else { return .failure(MediaError(.invalidURL, "the attachment has no URL")) }
        do throws(MediaError) {
            let data = try await fetcher.fetch(source, policy: policy)
            return .success(data)
        } catch {
            return .failure(error)
        }
    }

    /// One piece of media that could not be used.
    struct Problem: Sendable {
        enum Subject { case image, voice }
        enum Reason: Sendable {
            case fetch(MediaError)
            case unsupportedFormat(MediaFormat)
            case transcriptionFailed
            case voiceUnavailable
            case tooMany
        }
        var subject: Subject
        var reason: Reason

        /// For the assistant and the history.
        var note: String {
            let what = subject == .image ? "image" : "voice message"
            switch reason {
            case .fetch(let error):
                let why = switch error.code {
                case .tooLarge: "too large"
                case .unavailable where error.isExpired: "the link expired"
                case .unsupportedType: "not a supported format"
                case .timeout: "the download timed out"
                default: "could not be downloaded"
                }
                return "[\(what) not opened: \(why)]"
            case .unsupportedFormat(let format):
                return "[\(what) not opened: \(format.mimeType) is not supported]"
            case .transcriptionFailed:
                return "[voice message not transcribed]"
            case .voiceUnavailable:
                return "[voice message: no transcription configured]"
            case .tooMany:
                return "[more attachments than are taken; the rest were not opened]"
            }
        }

        /// For the person.
        func friendly(_ wording: MediaWording, policy: MediaPolicy, maxMedia: Int) -> String {
            let limit = MediaData.sizeText(policy.maxBytes)
            switch (subject, reason) {
            case (.image, .fetch(let error)):
                switch error.code {
                case .tooLarge: return wording.imageTooLarge.replacingOccurrences(of: "{limit}", with: limit)
                case .unavailable where error.isExpired: return wording.imageExpired
                case .unsupportedType: return wording.imageUnsupported
                default: return wording.imageFailed
                }
            case (.voice, .fetch(let error)):
                switch error.code {
                case .tooLarge: return wording.voiceTooLarge.replacingOccurrences(of: "{limit}", with: limit)
                case .unavailable where error.isExpired: return wording.voiceExpired
                case .unsupportedType: return wording.voiceUnsupported
                default: return wording.voiceFailed
                }
            case (.image, .unsupportedFormat(let format)) where format.category == .image:
                return wording.imageUnsupportedFormat.replacingOccurrences(of: "{format}", with: format.displayName)
            case (.image, .unsupportedFormat):
                return wording.imageUnsupported
            case (.voice, .unsupportedFormat):
                return wording.voiceUnsupported
            case (_, .transcriptionFailed):
                return wording.transcriptionFailed
            case (_, .voiceUnavailable):
                return wording.voiceUnavailable
            case (_, .tooMany):
                return wording.tooManyAttachments.replacingOccurrences(of: "{count}", with: "\(maxMedia)")
            }
        }
    }
}
