import ChannelKit

extension ImageContent {
    /// Creates an image from downloaded media, reading its pixel size.
    public init(_ media: MediaData) {
        self.init(bytes: media.bytes, format: media.format, pixelSize: MediaSniffer.pixelSize(of: media.bytes, format: media.format))
    }
}
