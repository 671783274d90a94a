import ChannelKit
import Foundation
import Hummingbird

/// Whom a request comes from, for counting failed logins and for the log: the connection's
/// peer, or — when that peer is one of `admin.trusted_proxies` — the client the proxies name in
/// `X-Forwarded-For`.
///
/// The header is read from the right: each trusted proxy appends the address it received the
/// request from, so the rightmost entry that is not a trusted proxy is the client. Anything a
/// client wrote to the left of it is ignored, and without trusted proxies the header is never
/// read, so a client cannot choose its own address. A chain that cannot be read leaves the
/// peer's address (the proxy's: all such requests share one count).
struct ClientAddressResolver: Sendable {
    let trustedProxies: [AddressRange]

    init(trustedProxies: [String]) {
        self.trustedProxies = trustedProxies.compactMap(AddressRange.init)
    }

    func address(of request: Request, context: HostRequestContext) -> String {
        let peer = context.clientAddress
        guard !trustedProxies.isEmpty, let peerAddress = IPAddress(peer), isTrusted(peerAddress) else { return peer }
        let entries = request.headers[values: .xForwardedFor].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        var client = peer
        for entry in entries.reversed() {
            guard let address = IPAddress(entry) else { return peer }
            client = address.description
            if !isTrusted(address) { return client }
        }
        return client
    }

    private func isTrusted(_ address: IPAddress) -> Bool {
        trustedProxies.contains { $0.contains(address) }
    }
}

extension HTTPField.Name {
    /// `X-Forwarded-For`.
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
