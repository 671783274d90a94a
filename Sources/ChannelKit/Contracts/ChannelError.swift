/// An error raised by a channel, typed so that the host answers webhooks correctly and the
/// sender knows whether to retry.
///
/// The host maps these to HTTP statuses in one place; see `ChannelError+HTTPResponseError`.
public struct ChannelError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, without associated values; safe as a metric label.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// A handshake whose token did not match, or a delivery whose signature did not verify.
        case forbidden
        /// A signed delivery that could not be read.
        case malformedPayload
        /// A body over the channel's cap.
        case payloadTooLarge
        /// A method the webhook route does not take.
        case methodNotAllowed
        /// A send that may succeed later (timeouts, 5xx, throttling).
        case transient
        /// A send that will never succeed as it is (outside the window, user unavailable, bad parameter).
        case permanent
        /// The channel's credentials were refused; sends pause until they are fixed.
        case unauthorized
        /// The channel lacks configuration it needs.
        case misconfigured
    }

    /// The kind of failure.
    public var code: Code
    /// A description for operators; never contains secrets or message text.
    public var message: String
    /// The platform's error code, when the platform gave one.
    public var platformCode: Int?
    /// The platform's error subcode, when the platform gave one.
    public var platformSubcode: Int?
    /// How long to wait before retrying a transient failure, when the platform said.
    public var retryAfter: Duration?
    /// Whether the platform refused a `.permanent` send for a parameter of the message itself
    /// (Graph code 100 "Invalid parameter", WhatsApp 131008 / 131009) — a text too long as the
    /// platform counts it, say — rather than for its recipient, window or permissions: the same
    /// message fails again, but a shorter one may pass. The pipeline then splits the part
    /// smaller, and failing that sends a short fallback, so the person is not left with nothing.
    public var isInvalidParameter: Bool

    /// Creates an error.
    public init(_ code: Code, _ message: String, platformCode: Int? = nil, platformSubcode: Int? = nil, retryAfter: Duration? = nil,
                isInvalidParameter: Bool = false) {
        self.code = code
        self.message = message
        self.platformCode = platformCode
        self.platformSubcode = platformSubcode
        self.retryAfter = retryAfter
        self.isInvalidParameter = isInvalidParameter
    }

    /// A failed handshake or signature check.
    public static func forbidden(_ message: String) -> Self { .init(.forbidden, message) }
    /// A signed body that cannot be read.
    public static func malformedPayload(_ message: String) -> Self { .init(.malformedPayload, message) }
    /// A send that may succeed later.
    public static func transient(_ message: String, platformCode: Int? = nil, platformSubcode: Int? = nil, retryAfter: Duration? = nil) -> Self {
        .init(.transient, message, platformCode: platformCode, platformSubcode: platformSubcode, retryAfter: retryAfter)
    }
    /// A send that will not succeed; `isInvalidParameter` when the message itself was refused
    /// (see ``isInvalidParameter``).
    public static func permanent(_ message: String, platformCode: Int? = nil, platformSubcode: Int? = nil,
                                 isInvalidParameter: Bool = false) -> Self {
        .init(.permanent, message, platformCode: platformCode, platformSubcode: platformSubcode, isInvalidParameter: isInvalidParameter)
    }
    /// Credentials refused.
    public static func unauthorized(_ message: String, platformCode: Int? = nil, platformSubcode: Int? = nil) -> Self {
        .init(.unauthorized, message, platformCode: platformCode, platformSubcode: platformSubcode)
    }

    /// A short description without associated values.
    public var shortDescription: String { code.rawValue }

    public var description: String {
        var text = "\(code.rawValue): \(message)"
        if let platformCode {
            text += " (code \(platformCode)"
            if let platformSubcode { text += ", subcode \(platformSubcode)" }
            text += ")"
        }
        return text
    }
}
