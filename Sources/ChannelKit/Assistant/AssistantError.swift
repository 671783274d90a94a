/// An assistant backend could not answer.
///
/// The pipeline retries a ``Code/unavailable`` failure within the assistant's retry window
/// (the person's question is kept and answered once the backend is back) and answers a
/// ``Code/refused`` or ``Code/malformed`` one with the apology at once. Errors a backend throws
/// that are not this type are classified by the pipeline: transport timeouts and refused
/// connections count as unavailable, anything else as refused.
public struct AssistantError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, without associated values; safe as a metric label.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The backend is down or overloaded for now: 5xx, 429, 408, refused connections, timeouts.
        case unavailable
        /// The backend refused this request (4xx other than 408 and 429): trying again won't help.
        case refused
        /// The backend answered something that is not an answer.
        case malformed
    }

    /// The kind of failure.
    public var code: Code
    /// The backend's HTTP status, when it answered.
    public var status: Int?
    /// A description for operators (never the person's words).
    public var message: String

    /// Creates an error.
    public init(_ code: Code, status: Int? = nil, _ message: String) {
        self.code = code
        self.status = status
        self.message = message
    }

    /// The error for an HTTP status the backend answered with.
    /// - Parameters:
    ///   - status: the HTTP status code.
    ///   - message: the backend's error message.
    public static func status(_ status: Int, _ message: String) -> AssistantError {
        let temporary = status >= 500 || status == 429 || status == 408
        return AssistantError(temporary ? .unavailable : .refused, status: status, "assistant server answered \(status): \(message)")
    }

    /// Whether trying again later may succeed.
    public var isTemporary: Bool { code == .unavailable }

    public var description: String { "\(code.rawValue): \(message)" }
}
