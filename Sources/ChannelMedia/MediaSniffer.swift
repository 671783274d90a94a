import ChannelKit
/// Recognises media formats from their bytes, and reads what is cheap to read: an image's
/// pixel size, a sound's duration.
///
/// ```swift
/// guard let format = MediaSniffer.format(of: bytes) else { /* refuse: unsupported */ }
/// let size = MediaSniffer.pixelSize(of: bytes, format: format)     // JPEG, PNG, GIF, WebP
/// let length = MediaSniffer.duration(of: bytes, format: format)    // MP4, WAV
/// ```
///
/// Nothing here trusts a URL, a file name or a `Content-Type` header.
public enum MediaSniffer {
    /// The format of `bytes`, or `nil` when it is none of the supported ones.
    public static func format(of bytes: [UInt8]) -> MediaFormat? {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.starts(with: Array("GIF87a".utf8)) || bytes.starts(with: Array("GIF89a".utf8)) { return .gif }
        if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)) {
            switch ascii(bytes, 8, 4) {
            case "WEBP": return .webp
            case "WAVE": return .wav
            default: return nil
            }
        }
        if bytes.count >= 12, ascii(bytes, 4, 4) == "ftyp" { return isoFormat(bytes) }
        if bytes.starts(with: Array("OggS".utf8)) { return .ogg }
        if bytes.starts(with: Array("fLaC".utf8)) { return .flac }
        if bytes.starts(with: [0x1A, 0x45, 0xDF, 0xA3]) {
            // The EBML header names its DocType within the first few dozen bytes.
            let head = Array(bytes.prefix(64))
            return contains(head, Array("webm".utf8)) ? .webm : .matroska
        }
        if bytes.starts(with: Array("ID3".utf8)), bytes.count >= 10 { return .mp3 }
        if isMPEGAudioFrame(bytes) { return .mp3 }
        return nil
    }

    /// An image's width and height in pixels, for JPEG, PNG, GIF and WebP; `nil` otherwise or
    /// when the header is damaged.
    public static func pixelSize(of bytes: [UInt8], format: MediaFormat) -> PixelSize? {
        switch format {
        case .png:
            guard bytes.count >= 24, ascii(bytes, 12, 4) == "IHDR" else { return nil }
            return PixelSize(width: Int(be32(bytes, 16)), height: Int(be32(bytes, 20)))
        case .gif:
            guard bytes.count >= 10 else { return nil }
            return PixelSize(width: Int(bytes[6]) | Int(bytes[7]) << 8, height: Int(bytes[8]) | Int(bytes[9]) << 8)
        case .jpeg:
            return jpegSize(bytes)
        case .webp:
            return webpSize(bytes)
        default:
            return nil
        }
    }

    /// A sound's duration, for MP4 (the movie header) and WAV (the data size over the byte
    /// rate); `nil` otherwise or when the header is damaged.
    public static func duration(of bytes: [UInt8], format: MediaFormat) -> Duration? {
        switch format {
        case .mp4Audio, .mp4Video:
            return ISOBoxReader(bytes).movieDuration
        case .wav:
            return wavDuration(bytes)
        default:
            return nil
        }
    }

    // MARK: - ISO base media files (MP4, M4A, HEIC, AVIF)

    private static let heifBrands: Set<String> = ["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"]
    private static let avifBrands: Set<String> = ["avif", "avis"]
    private static let audioBrands: Set<String> = ["M4A ", "M4B ", "M4P ", "F4A ", "F4B "]
    private static let movieBrands: Set<String> = [
        "isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso8", "iso9", "mp41", "mp42", "mp71", "M4V ", "M4VH", "M4VP",
        "avc1", "dash", "MSNV", "NDAS", "F4V ", "F4P ", "qt  ", "3gp4", "3gp5", "3gp6", "3gp7", "3gs7", "3ge6", "3ge7",
        "3gg6", "3g2a", "3g2b", "3g2c", "mmp4", "kddi", "XAVC", "CAEP", "nvr1",
    ]

    private static func isoFormat(_ bytes: [UInt8]) -> MediaFormat? {
        let size = Int(be32(bytes, 0))
        let end = min(bytes.count, max(16, size))
        var brands = [ascii(bytes, 8, 4)]
        var offset = 16
        while offset + 4 <= end {
            brands.append(ascii(bytes, offset, 4))
            offset += 4
        }
        // The major brand decides; a generic one defers to the compatible brands.
        for brand in brands {
            if avifBrands.contains(brand) { return .avif }
            if heifBrands.contains(brand) { return .heic }
            if audioBrands.contains(brand) { return mp4Kind(bytes, defaultKind: .mp4Audio) }
            if movieBrands.contains(brand) { return mp4Kind(bytes, defaultKind: .mp4Audio) }
        }
        return nil
    }

    /// Audio or video, from the movie's track handlers; `defaultKind` when there is no movie
    /// header to read (a truncated or fragmented file).
    private static func mp4Kind(_ bytes: [UInt8], defaultKind: MediaFormat) -> MediaFormat {
        let handlers = ISOBoxReader(bytes).trackHandlers
        if handlers.contains("vide") { return .mp4Video }
        if handlers.contains("soun") { return .mp4Audio }
        return defaultKind
    }

    // MARK: - MPEG audio

    /// An MPEG-1/2/2.5 Layer I–III frame header (not AAC's ADTS, whose layer bits are 00).
    private static func isMPEGAudioFrame(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] & 0xE0 == 0xE0 else { return false }
        let version = (bytes[1] >> 3) & 0x03
        let layer = (bytes[1] >> 1) & 0x03
        let bitrate = bytes[2] >> 4
        let sampleRate = (bytes[2] >> 2) & 0x03
        return version != 0x01 && layer != 0x00 && bitrate != 0x0F && bitrate != 0x00 && sampleRate != 0x03
    }

    // MARK: - Image sizes

    private static func jpegSize(_ bytes: [UInt8]) -> PixelSize? {
        var offset = 2
        while offset + 4 <= bytes.count {
            guard bytes[offset] == 0xFF else { return nil }
            let marker = bytes[offset + 1]
            if marker == 0xFF { offset += 1; continue }           // fill byte
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { offset += 2; continue }
            if marker == 0xD9 || marker == 0xDA { return nil }     // end of image, start of scan
            let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            guard length >= 2 else { return nil }
            let isStartOfFrame = (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
            if isStartOfFrame {
                guard offset + 9 <= bytes.count else { return nil }
                let height = Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6])
                let width = Int(bytes[offset + 7]) << 8 | Int(bytes[offset + 8])
                return PixelSize(width: width, height: height)
            }
            offset += 2 + length
        }
        return nil
    }

    private static func webpSize(_ bytes: [UInt8]) -> PixelSize? {
        switch ascii(bytes, 12, 4) {
        case "VP8 ":
            guard bytes.count >= 30 else { return nil }
            // Key frame: 3-byte tag, start code 9D 01 2A, then 14-bit width and height.
            guard bytes[23] == 0x9D, bytes[24] == 0x01, bytes[25] == 0x2A else { return nil }
            let width = (Int(bytes[26]) | Int(bytes[27]) << 8) & 0x3FFF
            let height = (Int(bytes[28]) | Int(bytes[29]) << 8) & 0x3FFF
            return PixelSize(width: width, height: height)
        case "VP8L":
            guard bytes.count >= 25, bytes[20] == 0x2F else { return nil }
            let bits = UInt32(bytes[21]) | UInt32(bytes[22]) << 8 | UInt32(bytes[23]) << 16 | UInt32(bytes[24]) << 24
            return PixelSize(width: Int(bits & 0x3FFF) + 1, height: Int((bits >> 14) & 0x3FFF) + 1)
        case "VP8X":
            guard bytes.count >= 30 else { return nil }
            let width = Int(bytes[24]) | Int(bytes[25]) << 8 | Int(bytes[26]) << 16
            let height = Int(bytes[27]) | Int(bytes[28]) << 8 | Int(bytes[29]) << 16
            return PixelSize(width: width + 1, height: height + 1)
        default:
            return nil
        }
    }

    // MARK: - WAV

    private static func wavDuration(_ bytes: [UInt8]) -> Duration? {
        var offset = 12
        var byteRate: UInt32?
        while offset + 8 <= bytes.count {
            let id = ascii(bytes, offset, 4)
            let size = Int(le32(bytes, offset + 4))
            if id == "fmt ", offset + 16 <= bytes.count {
                byteRate = le32(bytes, offset + 8 + 8)
            } else if id == "data" {
                guard let byteRate, byteRate > 0 else { return nil }
                // A streamed WAV may say 0 or 0xFFFFFFFF; the bytes present are the truth then.
                let available = bytes.count - offset - 8
                let dataSize = size <= 0 || size > available ? available : size
                return .milliseconds(Int64(dataSize) * 1000 / Int64(byteRate))
            }
            guard size >= 0 else { return nil }
            offset += 8 + size + (size & 1)
        }
        return nil
    }

    // MARK: - Bytes

    static func ascii(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> String {
        guard offset >= 0, offset + count <= bytes.count else { return "" }
        return String(decoding: bytes[offset..<(offset + count)], as: UTF8.self)
    }

    static func be32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        guard offset >= 0, offset + 4 <= bytes.count else { return 0 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    static func be64(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
        UInt64(be32(bytes, offset)) << 32 | UInt64(be32(bytes, offset + 4))
    }

    static func le32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        guard offset >= 0, offset + 4 <= bytes.count else { return 0 }
        return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }
}
