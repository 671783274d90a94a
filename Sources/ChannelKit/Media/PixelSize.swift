/// An image's size in pixels.
public struct PixelSize: Sendable, Hashable, CustomStringConvertible {
    /// Width.
    public var width: Int
    /// Height.
    public var height: Int

    /// Creates a size.
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// `640×480`.
    public var description: String { "\(width)×\(height)" }
}
