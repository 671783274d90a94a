/// A media format recognised from a file's first bytes (see ``MediaSniffer``), never from a
/// URL or a `Content-Type` header.
public enum MediaFormat: String, Sendable, Hashable, CaseIterable {
    /// JPEG (`FF D8 FF`).
    case jpeg
    /// PNG.
    case png
    /// GIF 87a or 89a.
    case gif
    /// WebP (RIFF `WEBP`).
    case webp
    /// HEIC/HEIF (ISO base media file with a `heic`, `heix`, `mif1`… brand).
    case heic
    /// AVIF (ISO base media file with an `avif` or `avis` brand).
    case avif
    /// An MP4 (or M4A, 3GP, QuickTime) file with sound and no video track: voice notes.
    case mp4Audio
    /// An MP4 (or 3GP, QuickTime) file with a video track.
    case mp4Video
    /// Ogg (Opus or Vorbis).
    case ogg
    /// MP3 (an ID3 tag or an MPEG audio frame).
    case mp3
    /// WAV (RIFF `WAVE`).
    case wav
    /// FLAC.
    case flac
    /// WebM.
    case webm
    /// Matroska other than WebM.
    case matroska

    /// What a format is.
    public enum Category: String, Sendable, Hashable {
        /// A still (or animated) picture.
        case image
        /// Sound.
        case audio
        /// Moving pictures, usually with sound.
        case video
    }

    /// The category.
    public var category: Category {
        switch self {
        case .jpeg, .png, .gif, .webp, .heic, .avif: .image
        case .mp4Audio, .ogg, .mp3, .wav, .flac, .webm, .matroska: .audio
        case .mp4Video: .video
        }
    }

    /// The MIME type: MP4 with sound only is `audio/mp4`, whatever the server called it.
    public var mimeType: String {
        switch self {
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        case .gif: "image/gif"
        case .webp: "image/webp"
        case .heic: "image/heic"
        case .avif: "image/avif"
        case .mp4Audio: "audio/mp4"
        case .mp4Video: "video/mp4"
        case .ogg: "audio/ogg"
        case .mp3: "audio/mpeg"
        case .wav: "audio/wav"
        case .flac: "audio/flac"
        case .webm: "audio/webm"
        case .matroska: "audio/x-matroska"
        }
    }

    /// The usual file name extension, without the dot (`m4a` for MP4 audio).
    public var fileExtension: String {
        switch self {
        case .jpeg: "jpg"
        case .png: "png"
        case .gif: "gif"
        case .webp: "webp"
        case .heic: "heic"
        case .avif: "avif"
        case .mp4Audio: "m4a"
        case .mp4Video: "mp4"
        case .ogg: "ogg"
        case .mp3: "mp3"
        case .wav: "wav"
        case .flac: "flac"
        case .webm: "webm"
        case .matroska: "mka"
        }
    }

    /// A short name for people (`JPEG`, `HEIC`, `MP4 audio`).
    public var displayName: String {
        switch self {
        case .jpeg: "JPEG"
        case .png: "PNG"
        case .gif: "GIF"
        case .webp: "WebP"
        case .heic: "HEIC"
        case .avif: "AVIF"
        case .mp4Audio: "MP4 audio"
        case .mp4Video: "MP4 video"
        case .ogg: "Ogg"
        case .mp3: "MP3"
        case .wav: "WAV"
        case .flac: "FLAC"
        case .webm: "WebM"
        case .matroska: "Matroska"
        }
    }

    /// Whether OpenAI-compatible vision models take it as an image part (JPEG, PNG, GIF, WebP).
    public var isVisionImage: Bool {
        switch self {
        case .jpeg, .png, .gif, .webp: true
        default: false
        }
    }

    /// Whether speech can be transcribed from it (audio formats, and MP4 video for its sound).
    public var isTranscribable: Bool {
        category == .audio || self == .mp4Video
    }
}
