import Foundation

/// A person on one channel: the pair that identity linking maps to a Sandra profile.
public struct ChannelIdentity: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The configured channel name.
    public var channel: String
    /// The person's platform-scoped id on that channel.
    public var userID: String

    /// Creates an identity.
    public init(channel: String, userID: String) {
        self.channel = channel
        self.userID = userID
    }

    public var description: String { "\(channel):\(userID)" }
}

/// A Sandra profile: one person, whatever channels they write from.
public struct SandraProfile: Sendable, Hashable, Codable {
    /// A stable id.
    public var id: String
    /// The verified email address that identifies the person.
    public var email: String
    /// How Sandra addresses the person, if known.
    public var displayName: String?
    /// Free-form preferences.
    public var preferences: [String: String]

    /// Creates a profile.
    public init(id: String, email: String, displayName: String? = nil, preferences: [String: String] = [:]) {
        self.id = id
        self.email = email
        self.displayName = displayName
        self.preferences = preferences
    }
}

/// Maps channel identities to Sandra profiles.
///
/// The email-verification flow that proves a link is shared by every channel and builds on
/// this contract; channels only ever contribute their user ids.
public protocol IdentityDirectory: Sendable {
    /// The profile linked to an identity, if any.
    func profile(for identity: ChannelIdentity) async throws -> SandraProfile?
    /// Links an identity to the profile of a verified email address, creating the profile on first link.
    /// - Returns: the profile.
    func link(_ identity: ChannelIdentity, toVerifiedEmail email: String) async throws -> SandraProfile
    /// Removes an identity's link. Unlinking an unlinked identity does nothing.
    func unlink(_ identity: ChannelIdentity) async throws
    /// Every identity linked to a profile.
    func identities(ofProfile profileID: String) async throws -> [ChannelIdentity]
}
