import ChannelKit
import ChannelKitTesting
import ChannelMedia
import Testing

@Suite("Media sniffing")
struct MediaSnifferTests {
    /// Fixtures by name, so that test case names stay short.
    static let fixtures: [String: ([UInt8], MediaFormat?)] = [
        "png": (MediaFixtures.png(), .png),
        "jpeg": (MediaFixtures.jpeg(), .jpeg),
        "gif": (MediaFixtures.gif(), .gif),
        "webp": (MediaFixtures.webp(), .webp),
        "heic": (MediaFixtures.heic(), .heic),
        "voice note (isom, sound only)": (MediaFixtures.mp4(), .mp4Audio),
        "mp4 with video": (MediaFixtures.mp4(video: true), .mp4Video),
        "mp4, movie at the end": (MediaFixtures.mp4(movieAtEnd: true), .mp4Audio),
        "wav": (MediaFixtures.wav(), .wav),
        "ogg opus": (MediaFixtures.oggOpus(), .ogg),
        "mp3 with ID3": (MediaFixtures.mp3WithTag(), .mp3),
        "mp3 frame": (MediaFixtures.mp3Frame(), .mp3),
        "webm": (MediaFixtures.webm(), .webm),
        "html": (Array("<!doctype html><html><body>URL signature expired</body></html>".utf8), nil),
        "json": (Array("{\"error\":\"expired\"}".utf8), nil),
        "aac adts": ([0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC], nil),
        "empty": ([], nil),
        "two bytes of a jpeg": ([0xFF, 0xD8], nil),
        "riff avi": (Array("RIFF\u{0}\u{0}\u{0}\u{0}AVI LIST".utf8), nil),
        "unknown iso brand": ([0, 0, 0, 16] + Array("ftypqqqq".utf8) + [0, 0, 0, 0], nil),
    ]

    @Test("formats are recognised from their bytes; text, HTML, AAC ADTS, empty and truncated bytes are not media",
          arguments: fixtures.keys.sorted())
    func recognised(name: String) throws {
        let (bytes, format) = try #require(Self.fixtures[name])
        #expect(MediaSniffer.format(of: bytes) == format, "\(name)")
    }

    @Test("MP4 audio is audio/mp4 with an m4a name, whatever a server calls it; MP4 video stays video")
    func mp4Naming() {
        #expect(MediaFormat.mp4Audio.mimeType == "audio/mp4")
        #expect(MediaFormat.mp4Audio.fileExtension == "m4a")
        #expect(MediaFormat.mp4Audio.isTranscribable)
        #expect(MediaFormat.mp4Video.mimeType == "video/mp4")
        #expect(MediaFormat.mp4Video.isTranscribable)
        #expect(!MediaFormat.heic.isVisionImage && MediaFormat.heic.category == .image)
        #expect(MediaFormat.allCases.filter(\.isVisionImage) == [.jpeg, .png, .gif, .webp])
    }

    @Test("pixel sizes are read from JPEG, PNG, GIF and WebP headers")
    func pixelSizes() {
        #expect(MediaSniffer.pixelSize(of: MediaFixtures.png(width: 3, height: 2), format: .png) == PixelSize(width: 3, height: 2))
        #expect(MediaSniffer.pixelSize(of: MediaFixtures.jpeg(width: 1080, height: 1350, filler: 70_000), format: .jpeg)
            == PixelSize(width: 1080, height: 1350))
        #expect(MediaSniffer.pixelSize(of: MediaFixtures.gif(width: 4, height: 9), format: .gif) == PixelSize(width: 4, height: 9))
        #expect(MediaSniffer.pixelSize(of: MediaFixtures.webp(width: 5, height: 7), format: .webp) == PixelSize(width: 5, height: 7))
        #expect(MediaSniffer.pixelSize(of: Array(MediaFixtures.jpeg().prefix(30)), format: .jpeg) == nil)
    }

    @Test("durations are read from the MP4 movie header, even at the end, and from WAV sizes")
    func durations() {
        #expect(MediaSniffer.duration(of: MediaFixtures.mp4(milliseconds: 2_500), format: .mp4Audio) == .milliseconds(2_500))
        #expect(MediaSniffer.duration(of: MediaFixtures.mp4(milliseconds: 61_000, movieAtEnd: true), format: .mp4Audio) == .milliseconds(61_000))
        #expect(MediaSniffer.duration(of: MediaFixtures.wav(milliseconds: 1_500), format: .wav) == .milliseconds(1_500))
        #expect(MediaSniffer.duration(of: MediaFixtures.oggOpus(), format: .ogg) == nil)
        #expect(MediaSniffer.duration(of: Array(MediaFixtures.mp4().prefix(40)), format: .mp4Audio) == nil)
    }

    @Test("damaged box sizes do not crash the reader", arguments: [0, 1, 7, 0xFFFF_FFFF] as [UInt32])
    func damagedBoxes(size: UInt32) {
        var bytes = MediaFixtures.mp4()
        // The movie box's size field follows the 28-byte ftyp box.
        bytes[28] = UInt8(size >> 24); bytes[29] = UInt8(size >> 16 & 0xFF); bytes[30] = UInt8(size >> 8 & 0xFF); bytes[31] = UInt8(size & 0xFF)
        let format = MediaSniffer.format(of: bytes)
        #expect(format == .mp4Audio)
        _ = MediaSniffer.duration(of: bytes, format: .mp4Audio)
    }

    @Test("sizes read as people write them")
    func sizeText() {
        #expect(MediaData.sizeText(900) == "900 bytes")
        #expect(MediaData.sizeText(126_000) == "123 KB")
        #expect(MediaData.sizeText(25 * 1024 * 1024) == "25 MB")
        #expect(MediaData.sizeText(4_404_019) == "4.2 MB")
    }
}
