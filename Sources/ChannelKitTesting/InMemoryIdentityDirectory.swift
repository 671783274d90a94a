import ChannelKit
import Foundation

/// An ``IdentityDirectory`` kept in memory, for tests and the embedded default.
public actor InMemoryIdentityDirectory: IdentityDirectory {
    private var profilesByEmail: [String: SandraProfile] = [:]
    private var links: [ChannelIdentity: String] = [:]   // identity → email key

    /// Creates an empty directory.
    public init() {}

    public func profile(for identity: ChannelIdentity) -> SandraProfile? {
        links[identity].flatMap { profilesByEmail[$0] }
    }

    public func link(_ identity: ChannelIdentity, toVerifiedEmail email: String) -> SandraProfile {
        let key = email.lowercased()
        let profile = profilesByEmail[key] ?? SandraProfile(id: UUID().uuidString.lowercased(), email: key)
        profilesByEmail[key] = profile
        links[identity] = key
        return profile
    }

    public func unlink(_ identity: ChannelIdentity) {
        links[identity] = nil
    }

    public func identities(ofProfile profileID: String) -> [ChannelIdentity] {
        links.filter { profilesByEmail[$0.value]?.id == profileID }.map(\.key)
            .sorted { ($0.channel, $0.userID) < ($1.channel, $1.userID) }
    }
}
