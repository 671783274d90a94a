import Foundation

/// One channel identity linked to a Sandra profile, as an operator lists it.
public struct IdentityLink: Sendable, Hashable {
    /// The person on one channel.
    public var identity: ChannelIdentity
    /// The profile it is linked to.
    public var profile: SandraProfile
    /// When the link was made.
    public var linkedAt: Date

    /// Creates a link.
    public init(identity: ChannelIdentity, profile: SandraProfile, linkedAt: Date) {
        self.identity = identity
        self.profile = profile
        self.linkedAt = linkedAt
    }
}
