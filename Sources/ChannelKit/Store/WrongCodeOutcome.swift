/// What ``IdentityStore/recordWrongCode(_:maxAttempts:at:)`` did.
public enum WrongCodeOutcome: Sendable, Hashable {
    /// The code stays valid for this many more tries.
    case attemptsLeft(Int)
    /// That was the last allowed try: the code is voided.
    case lockedOut
    /// No such code (replaced, redeemed or voided meanwhile).
    case gone
}
