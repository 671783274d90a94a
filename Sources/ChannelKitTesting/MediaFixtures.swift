/// Media files built in memory for tests: real headers and structure (valid PNG, GIF and WAV
/// files; JPEG, WebP and ISO media files with the markers and boxes the sniffer reads), so no
/// fixture ever lives on disk.
public enum MediaFixtures {
    /// A valid PNG of one colour (RGB, 8 bits), uncompressed inside its zlib stream.
    public static func png(width: Int = 3, height: Int = 2, red: UInt8 = 0xE1, green: UInt8 = 0x30, blue: UInt8 = 0x6C) -> [UInt8] {
        var raw: [UInt8] = []
        for _ in 0..<height {
            raw.append(0)   // filter: none
            for _ in 0..<width { raw += [red, green, blue] }
        }
        var header: [UInt8] = []
        header += be32(UInt32(width)) + be32(UInt32(height))
        header += [8, 2, 0, 0, 0]   // depth, colour type RGB, compression, filter, interlace
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        file += pngChunk("IHDR", header)
        file += pngChunk("IDAT", zlibStored(raw))
        file += pngChunk("IEND", [])
        return file
    }

    /// A valid one-frame GIF89a of one colour.
    public static func gif(width: Int = 4, height: Int = 4) -> [UInt8] {
        var file = Array("GIF89a".utf8)
        file += le16(width) + le16(height) + [0x80, 0, 0]          // global colour table of 2
        file += [0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF]
        file += [0x2C] + le16(0) + le16(0) + le16(width) + le16(height) + [0]
        file += [0x02, 0x02, 0x44, 0x01, 0x00]                     // LZW: min code 2, one tiny block
        file += [0x3B]
        return file
    }

    /// A JPEG with the markers a decoder meets first: SOI, APP0 (JFIF), DQT, SOF0 with the size,
    /// SOS, a few entropy-coded bytes, EOI. `filler` makes it larger (inside an APP segment).
    public static func jpeg(width: Int = 640, height: Int = 480, filler: Int = 0) -> [UInt8] {
        var file: [UInt8] = [0xFF, 0xD8]
        file += segment(0xE0, Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0])
        var remaining = filler
        while remaining > 0 {
            let count = min(remaining, 65_000)
            file += segment(0xE1, [UInt8](repeating: 0x20, count: count))
            remaining -= count
        }
        file += segment(0xDB, [0] + [UInt8](repeating: 1, count: 64))
        file += segment(0xC0, [8] + be16(height) + be16(width) + [1, 1, 0x11, 0])
        file += segment(0xDA, [1, 1, 0, 0, 0x3F, 0])
        file += [0x12, 0x34, 0x56, 0x78, 0xFF, 0xD9]
        return file
    }

    /// A lossless WebP header (`VP8L`) for an image of the given size.
    public static func webp(width: Int = 5, height: Int = 7) -> [UInt8] {
        let bits = UInt32(width - 1) | UInt32(height - 1) << 14
        let payload: [UInt8] = [0x2F] + le32(bits) + [0, 0, 0]
        var file = Array("RIFF".utf8) + le32(UInt32(4 + 8 + payload.count)) + Array("WEBP".utf8)
        file += Array("VP8L".utf8) + le32(UInt32(payload.count)) + payload
        return file
    }

    /// An HEIC file's opening: `ftyp` with the `heic` and `mif1` brands, then a `meta` box.
    public static func heic() -> [UInt8] {
        box("ftyp", Array("heic".utf8) + be32(0) + Array("mif1".utf8) + Array("heic".utf8))
            + box("meta", [0, 0, 0, 0] + box("hdlr", [0, 0, 0, 0] + be32(0) + Array("pict".utf8) + [UInt8](repeating: 0, count: 13)))
    }

    /// An MP4 file the way Instagram voice notes come: brand `isom`, a movie with one sound
    /// track (`soun`) of `milliseconds`, and `payloadBytes` of media data. With `video: true`
    /// the movie has a video track as well. `movieAtEnd` puts the movie after the media data
    /// (no "fast start").
    public static func mp4(milliseconds: Int = 2_500, payloadBytes: Int = 4_096, video: Bool = false, movieAtEnd: Bool = false) -> [UInt8] {
        let fileType = box("ftyp", Array("isom".utf8) + be32(512) + Array("isom".utf8) + Array("iso2".utf8) + Array("mp41".utf8))
        var header: [UInt8] = [0, 0, 0, 0] + be32(0) + be32(0) + be32(1000) + be32(UInt32(milliseconds))
        header += be32(0x0001_0000) + [0x01, 0x00] + [UInt8](repeating: 0, count: 10)
        header += [UInt8](repeating: 0, count: 36) + [UInt8](repeating: 0, count: 24) + be32(3)
        var movie = box("mvhd", header)
        movie += track(handler: "soun")
        if video { movie += track(handler: "vide") }
        let data = box("mdat", (0..<payloadBytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        return movieAtEnd ? fileType + data + box("moov", movie) : fileType + box("moov", movie) + data
    }

    /// A valid PCM WAV file of silence: 8 kHz, 16-bit mono.
    public static func wav(milliseconds: Int = 1_000) -> [UInt8] {
        let sampleRate: UInt32 = 8_000
        let dataSize = Int(sampleRate) * 2 * milliseconds / 1000
        var file = Array("RIFF".utf8) + le32(UInt32(36 + dataSize)) + Array("WAVE".utf8)
        file += Array("fmt ".utf8) + le32(16) + le16(1) + le16(1) + le32(sampleRate) + le32(sampleRate * 2) + le16(2) + le16(16)
        file += Array("data".utf8) + le32(UInt32(dataSize)) + [UInt8](repeating: 0, count: dataSize)
        return file
    }

    /// An Ogg page header with an `OpusHead` packet.
    public static func oggOpus() -> [UInt8] {
        var file = Array("OggS".utf8) + [0, 2] + [UInt8](repeating: 0, count: 8) + le32(1) + le32(0) + le32(0) + [1, 19]
        file += Array("OpusHead".utf8) + [1, 1] + le16(312) + le32(48_000) + le16(0) + [0]
        return file
    }

    /// An MP3 file opening with an ID3v2 tag.
    public static func mp3WithTag() -> [UInt8] {
        Array("ID3".utf8) + [4, 0, 0, 0, 0, 0, 0] + mp3Frame()
    }

    /// One MPEG-1 Layer III frame header (128 kbit/s, 44.1 kHz) and its zeroed body.
    public static func mp3Frame() -> [UInt8] {
        [0xFF, 0xFB, 0x90, 0x64] + [UInt8](repeating: 0, count: 413)
    }

    /// An EBML header naming the `webm` DocType.
    public static func webm() -> [UInt8] {
        [0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01, 0x42, 0xF7, 0x81, 0x01, 0x42, 0xF2, 0x81, 0x04,
         0x42, 0xF3, 0x81, 0x08, 0x42, 0x82, 0x84] + Array("webm".utf8) + [0x42, 0x87, 0x81, 0x04, 0x42, 0x85, 0x81, 0x02]
    }

    // MARK: - Pieces

    private static func track(handler: String) -> [UInt8] {
        let hdlr = box("hdlr", [0, 0, 0, 0] + be32(0) + Array(handler.utf8) + [UInt8](repeating: 0, count: 12) + Array("Sandra\0".utf8))
        return box("trak", box("mdia", hdlr))
    }

    private static func box(_ type: String, _ payload: [UInt8]) -> [UInt8] {
        be32(UInt32(8 + payload.count)) + Array(type.utf8) + payload
    }

    private static func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0xFF, marker] + be16(payload.count + 2) + payload
    }

    private static func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return be32(UInt32(data.count)) + typed + be32(crc32(typed))
    }

    /// A zlib stream of stored (uncompressed) blocks.
    private static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let count = min(65_535, data.count - offset)
            let isLast: UInt8 = offset + count >= data.count ? 1 : 0
            out += [isLast] + le16(count) + le16(~count & 0xFFFF)
            out += data[offset..<(offset + count)]
            offset += count
        } while offset < data.count
        return out + be32(adler32(data))
    }

    private static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    private static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return b << 16 | a
    }

    private static func be16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
    private static func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
    private static func be32(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
    private static func le32(_ value: UInt32) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)] }
}
