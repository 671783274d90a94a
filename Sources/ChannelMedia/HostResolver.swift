import ChannelKit
/// Turns a host name into the addresses a connection to it would use, so the media fetcher
/// can refuse private and local ones before it connects.
public protocol HostResolver: Sendable {
    /// Every address `host` resolves to (an IP literal resolves to itself).
    /// - Throws: ``MediaError`` `.connectionFailed` when the name does not resolve.
    func addresses(of host: String) async throws -> [IPAddress]
}
