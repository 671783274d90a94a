import ChannelKit
/// What the person is told when their media cannot be used, in Markdown. `{limit}` stands
/// for the size cap (`25 MB`) and `{format}` for a sniffed format's name (`HEIC`).
public struct MediaWording: Sendable, Hashable {
    /// A photo over the size cap.
    public var imageTooLarge = "That photo is too large for me to open (the limit is {limit}). Could you send a smaller one?"
    /// A photo whose link no longer works.
    public var imageExpired = "I couldn't open your photo: the link to it has expired. Could you send it again?"
    /// A picture in a format vision models do not take (HEIC, AVIF).
    public var imageUnsupportedFormat = "I can't read {format} pictures yet. Could you send it as a JPEG or PNG?"
    /// Bytes that are no image or audio format at all.
    public var imageUnsupported = "I can't open that kind of file as a picture. Could you send a JPEG or PNG?"
    /// Any other failure to download a photo.
    public var imageFailed = "I couldn't download your photo just now. Could you send it again?"
    /// A voice message over the size cap.
    public var voiceTooLarge = "That voice message is too long for me (the limit is {limit}). Could you send a shorter one, or type it?"
    /// A voice message whose link no longer works.
    public var voiceExpired = "I couldn't open your voice message: the link to it has expired. Could you send it again, or type it?"
    /// Audio in a format that cannot be transcribed.
    public var voiceUnsupported = "I can't play that kind of audio. Could you type your message instead?"
    /// Any other failure to download a voice message.
    public var voiceFailed = "I couldn't download your voice message just now. Could you send it again, or type it?"
    /// Transcription failed or heard nothing.
    public var transcriptionFailed = "I couldn't make out your voice message. Could you type it instead?"
    /// No transcription is configured.
    public var voiceUnavailable = "I can't listen to voice messages yet. Could you type your message instead?"
    /// More media in one message than is taken.
    public var tooManyAttachments = "I looked at the first {count} attachments only."

    /// The default wording.
    public init() {}
}
