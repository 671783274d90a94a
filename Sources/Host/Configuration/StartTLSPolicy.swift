/// Whether an `smtp://` connection must be upgraded with STARTTLS (`identity.email.starttls`).
enum StartTLSPolicy: String, Sendable, Hashable, CaseIterable {
    /// STARTTLS or fail: credentials and codes never cross the network in clear (the default).
    case required
    /// STARTTLS when the server offers it, plain text otherwise.
    case optional
    /// Never: plain text (a relay on the same machine, a test server).
    case off
}
