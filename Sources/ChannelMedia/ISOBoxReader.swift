import ChannelKit
/// Reads the few boxes of an ISO base media file (MP4, M4A) the sniffer needs: the track
/// handlers (`soun`, `vide`) and the movie's duration. The whole file is in memory, so a
/// movie header at the end (no "fast start") is found too.
struct ISOBoxReader {
    private let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// One box: its type and where its payload lies.
    private struct Box {
        var type: String
        var payload: Range<Int>
    }

    /// The boxes directly inside `range`, stopping at the first damaged one.
    private func boxes(in range: Range<Int>) -> [Box] {
        var result: [Box] = []
        var offset = range.lowerBound
        while offset + 8 <= range.upperBound, result.count < 10_000 {
            var size = Int(MediaSniffer.be32(bytes, offset))
            let type = MediaSniffer.ascii(bytes, offset + 4, 4)
            var header = 8
            if size == 1 {
                guard offset + 16 <= range.upperBound else { break }
                let large = MediaSniffer.be64(bytes, offset + 8)
                guard large <= UInt64(Int.max) else { break }
                size = Int(large)
                header = 16
            } else if size == 0 {
                size = range.upperBound - offset   // to the end of the enclosing box
            }
            guard size >= header, offset + size <= range.upperBound else {
                // A truncated last box: keep what is there.
                if size >= header { result.append(Box(type: type, payload: (offset + header)..<range.upperBound)) }
                break
            }
            result.append(Box(type: type, payload: (offset + header)..<(offset + size)))
            offset += size
        }
        return result
    }

    private var movie: Box? {
        boxes(in: 0..<bytes.count).first { $0.type == "moov" }
    }

    /// The handler type of every track (`soun`, `vide`, `hint`, …).
    var trackHandlers: [String] {
        guard let movie else { return [] }
        return boxes(in: movie.payload).filter { $0.type == "trak" }.compactMap { track in
            guard let media = boxes(in: track.payload).first(where: { $0.type == "mdia" }),
                  let handler = boxes(in: media.payload).first(where: { $0.type == "hdlr" }),
                  handler.payload.count >= 12
            else { return nil }
            // version and flags (4), pre_defined (4), handler_type (4)
            return MediaSniffer.ascii(bytes, handler.payload.lowerBound + 8, 4)
        }
    }

    /// The movie header's duration over its time scale.
    var movieDuration: Duration? {
        guard let movie, let header = boxes(in: movie.payload).first(where: { $0.type == "mvhd" }) else { return nil }
        let start = header.payload.lowerBound
        guard header.payload.count >= 20 else { return nil }
        let timescale: UInt64
        let duration: UInt64
        if bytes[start] == 1 {
            guard header.payload.count >= 32 else { return nil }
            timescale = UInt64(MediaSniffer.be32(bytes, start + 20))
            duration = MediaSniffer.be64(bytes, start + 24)
        } else {
            timescale = UInt64(MediaSniffer.be32(bytes, start + 12))
            duration = UInt64(MediaSniffer.be32(bytes, start + 16))
        }
        guard timescale > 0, duration != UInt64(UInt32.max), duration != UInt64.max else { return nil }
        let milliseconds = duration.multipliedReportingOverflow(by: 1000)
        guard !milliseconds.overflow, milliseconds.partialValue / timescale <= UInt64(Int64.max) else { return nil }
        return .milliseconds(Int64(milliseconds.partialValue / timescale))
    }
}
