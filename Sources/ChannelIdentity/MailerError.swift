import ChannelKit
/// An email could not be sent.
public struct MailerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Failure kinds.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The server could not be reached, timed out, or answered with a temporary (4xx) error.
        case unavailable
        /// The server refused the recipient or the message for good (5xx): resending is useless.
        case rejected
        /// The server refused the credentials.
        case authentication
        /// The mailer's settings cannot work (bad URL, TLS required but not offered, certificate refused).
        case configuration
    }

    /// The kind.
    public var code: Code
    /// Details for operators: never an address, a code or a password.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Whether sending the message again later may work: everything but `.rejected` (an
    /// operator can fix credentials and settings; servers come back).
    public var isRetryable: Bool { code != .rejected }

    public var description: String { "\(code.rawValue): \(message)" }
}
