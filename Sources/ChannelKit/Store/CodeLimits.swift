import Foundation

/// How many codes may be issued within a window: per identity and per address.
public struct CodeLimits: Sendable, Hashable {
    /// Codes one identity may ask for within ``window``.
    public var perIdentity: Int
    /// Codes one address may receive within ``window``, whoever asks.
    public var perEmail: Int
    /// The window.
    public var window: TimeInterval

    /// Creates limits.
    public init(perIdentity: Int, perEmail: Int, window: TimeInterval = 3600) {
        self.perIdentity = perIdentity
        self.perEmail = perEmail
        self.window = window
    }
}
