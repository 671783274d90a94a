/// A store operation failed; the caller must not acknowledge what it could not record.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Failure kinds.
    public enum Code: String, Sendable, Hashable {
        /// The store cannot write (disk full, read-only, I/O error).
        case unavailable
        /// The store's content is not what this version expects.
        case corrupt
        /// The referenced item does not exist or is not in a state that allows the change.
        case invalidTransition
        /// The worker's lease was taken over (its ``LeaseFence`` no longer holds): it must stop.
        case leaseLost
        /// Another process holds the store for itself (a second host on one SQLite file).
        case inUse
    }

    /// The kind.
    public var code: Code
    /// Details for operators.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
