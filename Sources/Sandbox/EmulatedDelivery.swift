import ChannelKit
import Foundation
import HTTPTypes
import MetaPlatform

/// One webhook delivery a person caused, and how the page shows it.
public struct EmulatedDelivery: Sendable {
    /// The webhook body, written the way Meta writes it.
    public var payload: MetaJSON
    /// The conversation it belongs to (the person's id).
    public var user: String
    /// The entry the page shows; its raw body is filled in by the emulator.
    public var entry: SandboxEntry
    /// Fields of the answer to the page after `status` (`"mid": …`).
    public var answer: [MetaJSON.Member]

    /// Creates a delivery.
    public init(payload: MetaJSON, user: String, entry: SandboxEntry, answer: [MetaJSON.Member]) {
        self.payload = payload
        self.user = user
        self.entry = entry
        self.answer = answer
    }
}
