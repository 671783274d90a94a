import ChannelKit
import ChannelMedia
import ChannelRendering
import Foundation
import Testing

extension ChannelConformance {
    /// A photo within the size cap, delivered in the channel's own payload, is fetched into
    /// memory through the channel's media path (its URL, or its lookup) from the fake platform
    /// and reaches the assistant as one image with its bytes, answered once. A photo over the
    /// cap gets the friendly "too large" answer and never reaches the assistant; so does a
    /// photo at a URL outside the channel's allowed media hosts, which is not even requested.
    ///
    /// A subject whose ``ChannelConformanceSubject/mediaSupport`` leaves images out is checked
    /// for that declaration only: it builds no image delivery, and when it takes no media at
    /// all, its profile allows no media hosts.
    public static func mediaFetchedWithinLimits(_ subject: any ChannelConformanceSubject) async throws {
        let harness = try await ConformanceHarness(subject: subject, answer: describeMedia)
        guard subject.mediaSupport.contains(.images) else {
            expectDeclaredWithout(.images, subject: subject, harness: harness)
            return
        }
        let limit = ConformanceHarness.mediaByteLimit
        let photo = harness.hostMedia(.photo, id: "7100000000000001")
        let large = harness.hostMedia(.photo(largerThan: limit), id: "7100000000000002")
        let outsider = harness.hostMedia(.photo, id: "7100000000000003", url: "https://\(outsideMediaHost)/photos/7100000000000003.png")
        let cases = [("conf-photo-user", photo), ("conf-large-photo-user", large), ("conf-outside-photo-user", outsider)]
        for (index, (sender, media)) in cases.enumerated() {
            let message = ConformanceMediaMessage(sender: sender, id: "conf.photo.\(index + 1)", timestamp: time(Int64(index)), media: media)
            guard let delivery = subject.imageDelivery(of: message) else {
                Issue.record("channel conformance, media: the subject builds no image delivery; implement imageDelivery(of:), or leave .images out of mediaSupport if the channel takes no images")
                return
            }
            try await harness.deliver(delivery)
        }
        await harness.idle()

        let profile = harness.channel.profile
        let images = harness.assistant.turns.filter { $0.conversation.userID == "conf-photo-user" }.flatMap(\.message.images)
        expect(images.map(\.bytes) == [photo.bytes],
               "the photo did not reach the assistant as one image with its bytes: \(images.count) image(s), \(images.map(\.bytes.count)) bytes")
        expect(images.allSatisfy { $0.format == .png }, "the photo reached the assistant as \(images.map(\.mimeType)), not image/png")
        expect(harness.api.texts(to: "conf-photo-user") == render("saw image/png", for: profile),
               "the photo was answered \(harness.api.texts(to: "conf-photo-user")), not once with the assistant's answer")

        let tooLarge = MediaWording().imageTooLarge.replacingOccurrences(of: "{limit}", with: MediaData.sizeText(limit))
        expect(!asked(harness, "conf-large-photo-user"), "a photo over the \(MediaData.sizeText(limit)) cap reached the assistant")
        expect(harness.api.texts(to: "conf-large-photo-user") == render(tooLarge, for: profile),
               "a photo over the cap was answered \(harness.api.texts(to: "conf-large-photo-user")), not once with the friendly too-large reply")

        expect(harness.api.requests(toHost: outsideMediaHost).isEmpty,
               "a photo at \(outsideMediaHost), outside the channel's allowed media hosts, was requested")
        expect(!asked(harness, "conf-outside-photo-user"), "a photo from outside the allowed media hosts reached the assistant")
        expect(harness.api.texts(to: "conf-outside-photo-user") == render(MediaWording().imageFailed, for: profile),
               "a photo from outside the allowed media hosts was answered \(harness.api.texts(to: "conf-outside-photo-user")), not once with the friendly failure")
    }

    /// A voice note, delivered in the channel's own payload, is fetched through the channel's
    /// media path and handed to the transcriber as it was served; the assistant gets the
    /// transcript as the person's message, and its answer is sent once. When transcription
    /// fails, the person gets the friendly reply once and the assistant is not asked.
    ///
    /// A subject whose ``ChannelConformanceSubject/mediaSupport`` leaves voice notes out is
    /// checked for that declaration only, as ``mediaFetchedWithinLimits(_:)`` does.
    public static func voiceNoteTranscribed(_ subject: any ChannelConformanceSubject) async throws {
        let transcript = "book a table for two at eight"
        let transcriber = ScriptedTranscriber(transcript)
        let harness = try await ConformanceHarness(subject: subject, transcriber: transcriber, answer: describeMedia)
        guard subject.mediaSupport.contains(.voiceNotes) else {
            expectDeclaredWithout(.voiceNotes, subject: subject, harness: harness)
            return
        }
        let file = subject.voiceNoteFile
        let heard = "conf-voice-user"
        let voice = harness.hostMedia(file, id: "7100000000000004")
        guard let delivery = subject.voiceNoteDelivery(of: ConformanceMediaMessage(sender: heard, id: "conf.voice.1", timestamp: time(0), media: voice)) else {
            Issue.record("channel conformance, voice note: the subject builds no voice-note delivery; implement voiceNoteDelivery(of:), or leave .voiceNotes out of mediaSupport if the channel takes none")
            return
        }
        try await harness.deliver(delivery)
        await harness.idle()
        let profile = harness.channel.profile
        expect(transcriber.audios.map(\.bytes) == [file.bytes],
               "the transcriber was handed \(transcriber.audios.count) piece(s) of audio, not the voice note as it was served")
        let turns = harness.assistant.turns.filter { $0.conversation.userID == heard }
        expect(turns.map(\.message.transcript) == [transcript],
               "the assistant got \(turns.map(\.message.transcript)) as the voice note's transcript, not [\(transcript)]")
        expect(harness.api.texts(to: heard) == render("heard \(transcript)", for: profile),
               "the voice note was answered \(harness.api.texts(to: heard)), not once with the assistant's answer")

        let failing = ScriptedTranscriber(nil)
        let deaf = try await ConformanceHarness(subject: subject, transcriber: failing, answer: describeMedia)
        let unheard = "conf-unheard-voice-user"
        let second = deaf.hostMedia(file, id: "7100000000000005")
        if let delivery = subject.voiceNoteDelivery(of: ConformanceMediaMessage(sender: unheard, id: "conf.voice.2", timestamp: time(1), media: second)) {
            try await deaf.deliver(delivery)
        }
        await deaf.idle()
        expect(failing.audios.count == 1, "the voice note whose transcription fails reached the transcriber \(failing.audios.count) times, not once")
        expect(!asked(deaf, unheard), "the assistant was asked about a voice note that could not be transcribed")
        expect(deaf.api.texts(to: unheard) == render(MediaWording().transcriptionFailed, for: deaf.channel.profile),
               "a failed transcription was answered \(deaf.api.texts(to: unheard)), not once with the friendly reply")
    }

    // MARK: - Media helpers

    /// A host outside every channel's allowed media hosts.
    static let outsideMediaHost = "media.elsewhere.example"

    /// The kit's assistant for media turns: it says what it was given.
    static func describeMedia(_ turn: AssistantTurn) -> AssistantReply {
        var said: [String] = []
        if !turn.message.images.isEmpty { said.append("saw " + turn.message.images.map(\.mimeType).joined(separator: ", ")) }
        if let transcript = turn.message.transcript { said.append("heard \(transcript)") }
        if said.isEmpty { said.append("re: \(turn.message.text)") }
        return AssistantReply(markdown: said.joined(separator: "; "))
    }

    /// Whether the assistant was asked anything by `sender`.
    static func asked(_ harness: ConformanceHarness, _ sender: String) -> Bool {
        harness.assistant.turns.contains { $0.conversation.userID == sender }
    }

    /// The parts a Markdown answer becomes on the channel.
    static func render(_ markdown: String, for profile: ChannelProfile) -> [String] {
        MarkdownRenderer().render(markdown, for: profile)
    }

    /// A subject that leaves `kind` out of its media support builds no delivery of it, and one
    /// that takes no media at all has a profile that allows no media hosts.
    static func expectDeclaredWithout(_ kind: ConformanceMediaSupport, subject: any ChannelConformanceSubject,
                                      harness: ConformanceHarness) {
        let media = ConformanceMedia(id: "7100000000000009", url: FakePlatformAPI.mediaOrigin + subject.mediaPath(for: "7100000000000009"),
                                     file: kind == .images ? .photo : subject.voiceNoteFile)
        let message = ConformanceMediaMessage(sender: "conf-no-media-user", id: "conf.no-media.1", timestamp: time(0), media: media)
        let built = kind == .images ? subject.imageDelivery(of: message) : subject.voiceNoteDelivery(of: message)
        let what = kind == .images ? "images" : "voice notes"
        expect(built == nil, "the subject leaves \(what) out of its media support, yet builds a delivery of one")
        let hosts = harness.channel.profile.allowedMediaHosts
        expect(!subject.mediaSupport.isEmpty || hosts.isEmpty,
               "the subject declares that the channel takes no media, yet its profile allows media from \(hosts)")
    }
}
