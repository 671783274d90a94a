import ChannelKit
import Foundation
import HTTPTypes
import MetaPlatform

/// What a description may look up while building a person's delivery.
public struct PersonContext: Sendable {
    /// Now.
    public var now: Date
    /// The uploaded files, by id.
    public var media: [String: EmulatedMediaItem]
    /// The URL the emulated CDN serves an uploaded file at (for platforms whose webhooks carry one).
    public var mediaURL: @Sendable (String) -> String

    /// The time in whole seconds, as WhatsApp's `timestamp` strings carry it.
    public var seconds: Int64 { Int64(now.timeIntervalSince1970) }
    /// The time in milliseconds, as Messenger and Instagram carry it.
    public var milliseconds: Int64 { Int64((now.timeIntervalSince1970 * 1000).rounded()) }
    /// A new platform message id with `prefix`.
    public func newMessageID(_ prefix: String) -> String { prefix + UUID().uuidString.lowercased() }
}
