import ChannelKit
import Foundation
import HTTPTypes
import MetaPlatform

/// One call of the emulated Send API.
public struct GraphSendCall: Sendable {
    /// The id in the path (`me`, a page id, a phone number id).
    public var target: String
    /// The request body, parsed.
    public var body: MetaJSON
    /// The message id this call gets when it sends a message (``GraphSendRecord/isMessage``).
    public var messageID: String
    /// Which person sent each inbound message id, for read receipts.
    public var senders: [String: String]
    /// An injected limit (``GraphSandboxFaults/maxTextLength``), in UTF-16 code units.
    public var injectedTextLimit: Int?

    /// Whether `text` is over the injected limit.
    public func injectedLimitRefuses(_ text: String) -> Bool {
        injectedTextLimit.map { text.utf16.count > $0 } ?? false
    }
}
