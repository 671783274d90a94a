import ChannelKit

/// One address or a CIDR block (`10.0.0.5`, `10.0.0.0/8`, `fd00::/8`), as written in
/// `admin.trusted_proxies`.
struct AddressRange: Sendable, Hashable, CustomStringConvertible {
    /// The block's first address.
    let network: IPAddress
    /// How many leading bits must match.
    let prefixLength: Int

    /// Parses `address` or `address/prefix`; `nil` for anything else.
    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else { return nil }
        let bits = address.bytes.count * 8
        var prefix = bits
        if parts.count == 2 {
            guard let value = Int(parts[1]), (0...bits).contains(value) else { return nil }
            prefix = value
        }
        network = address
        prefixLength = prefix
    }

    /// Whether `address` is in the block. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, as a
    /// dual-stack socket reports an IPv4 peer) counts as the IPv4 address it carries.
    func contains(_ address: IPAddress) -> Bool {
        let candidate = network.isIPv4 ? address.ipv4Mapped ?? address : address
        guard candidate.bytes.count == network.bytes.count else { return false }
        var remaining = prefixLength
        for (have, want) in zip(candidate.bytes, network.bytes) where remaining > 0 {
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if have & mask != want & mask { return false }
            remaining -= bits
        }
        return true
    }

    var description: String {
        prefixLength == network.bytes.count * 8 ? network.description : "\(network)/\(prefixLength)"
    }
}
