import ChannelKit
import Foundation
import HTTPTypes
import MetaPlatform

/// A refused request and its answer: a page error (`{"error": …}`) or a Graph error body.
public struct SandboxRefusal: Error, Sendable {
    /// The answer.
    public var response: SandboxResponse

    /// Wraps an answer.
    public init(_ response: SandboxResponse) { self.response = response }

    /// A `400 {"error": message}` for the page.
    public static func person(_ message: String) -> Self {
        Self(GraphSandboxReply.json(["error": .string(message)], status: .badRequest))
    }

    /// A Graph error (see ``GraphSandboxReply/error(status:code:subcode:message:details:)``).
    public static func graph(_ message: String, status: HTTPResponse.Status = .badRequest, code: Int = 100, subcode: Int? = nil,
                             details: String? = nil) -> Self {
        Self(GraphSandboxReply.error(status: status, code: code, subcode: subcode, message: message, details: details))
    }
}
