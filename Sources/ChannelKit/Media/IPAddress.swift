#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address, and whether it is one media may be fetched from.
///
/// ```swift
/// IPAddress("10.1.2.3")?.isPublic          // false: private
/// IPAddress("::ffff:127.0.0.1")?.isPublic  // false: IPv4-mapped loopback
/// IPAddress("157.240.1.1")?.isPublic       // true
/// ```
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address in network order: 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    /// An address from its bytes (4 or 16 of them).
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses dotted IPv4 (`192.0.2.1`) or IPv6 (`2001:db8::1`, `::ffff:10.0.0.1`; brackets allowed).
    public init?(_ text: String) {
        var text = Substring(text)
        if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        guard !text.contains("%") else { return nil }   // zone ids name local interfaces
        var v4 = in_addr()
        if inet_pton(AF_INET, String(text), &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, String(text), &v6) == 1 {
            self.bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    /// Whether this is an IPv4 address.
    public var isIPv4: Bool { bytes.count == 4 }

    /// The IPv4 address of an IPv4-mapped IPv6 one (`::ffff:a.b.c.d`), the form in which a
    /// dual-stack socket reports an IPv4 peer: the same host.
    public var ipv4Mapped: IPAddress? {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF else { return nil }
        return IPAddress(bytes: Array(bytes[12..<16]))
    }

    /// The IPv4 address an IPv6 one carries: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
    /// (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) and 6to4 (`2002:aabb:ccdd::`).
    public var embeddedIPv4: IPAddress? {
        if let mapped = ipv4Mapped { return mapped }
        guard bytes.count == 16 else { return nil }
        if bytes[0..<12].allSatisfy({ $0 == 0 }) { return IPAddress(bytes: Array(bytes[12..<16])) }
        if bytes[0..<12].elementsEqual([0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0]) {
            return IPAddress(bytes: Array(bytes[12..<16]))
        }
        if bytes[0] == 0x20, bytes[1] == 0x02 { return IPAddress(bytes: Array(bytes[2..<6])) }
        return nil
    }

    /// Whether the address is on the public internet: `false` for unspecified, loopback,
    /// private, shared (CGNAT), link-local, unique-local, site-local, multicast, documentation,
    /// benchmarking and reserved ranges, in IPv4 and IPv6, including IPv4 addresses carried
    /// in IPv6 ones.
    public var isPublic: Bool {
        if bytes.count == 4 { return Self.isPublicIPv4(bytes) }
        if let embedded = embeddedIPv4 {
            return Self.isPublicIPv4(embedded.bytes)
        }
        let first = bytes[0], second = bytes[1]
        if first == 0 { return false }                                   // ::/8 (unspecified, loopback, reserved)
        if first & 0xFE == 0xFC { return false }                         // fc00::/7 unique local
        if first == 0xFE, second & 0xC0 == 0x80 { return false }         // fe80::/10 link-local
        if first == 0xFE, second & 0xC0 == 0xC0 { return false }         // fec0::/10 site-local
        if first == 0xFF { return false }                                // ff00::/8 multicast
        if first == 0x01, second == 0x00, bytes[2..<8].allSatisfy({ $0 == 0 }) { return false }   // 100::/64 discard
        if first == 0x20, second == 0x01 {
            if bytes[2] == 0x0D, bytes[3] == 0xB8 { return false }       // 2001:db8::/32 documentation
            if bytes[2] == 0x00, bytes[3] == 0x00 { return false }       // 2001::/32 Teredo
            if bytes[2] == 0x00, bytes[3] & 0xF0 == 0x10 { return false } // 2001:10::/28 ORCHID
        }
        if first == 0x00, second == 0x64, bytes[2] == 0xFF, bytes[3] == 0x9B, bytes[4] == 0x00, bytes[5] == 0x01 {
            return false                                                 // 64:ff9b:1::/48 local NAT64
        }
        return true
    }

    private static func isPublicIPv4(_ b: [UInt8]) -> Bool {
        switch (b[0], b[1], b[2]) {
        case (0, _, _): false                                   // 0.0.0.0/8 "this network", unspecified
        case (10, _, _): false                                  // 10/8 private
        case (100, 64...127, _): false                          // 100.64/10 shared (CGNAT)
        case (127, _, _): false                                 // 127/8 loopback
        case (169, 254, _): false                               // 169.254/16 link-local (cloud metadata)
        case (172, 16...31, _): false                           // 172.16/12 private
        case (192, 0, 0), (192, 0, 2): false                    // IETF assignments, TEST-NET-1
        case (192, 88, 99): false                               // 6to4 relay anycast
        case (192, 168, _): false                               // 192.168/16 private
        case (198, 18...19, _): false                           // 198.18/15 benchmarking
        case (198, 51, 100), (203, 0, 113): false               // TEST-NET-2, TEST-NET-3
        case (224...255, _, _): false                           // multicast, reserved, broadcast
        default: true
        }
    }

    /// The address in its usual text form.
    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { raw in
            buffer.withUnsafeMutableBufferPointer { out in
                inet_ntop(family, raw.baseAddress, out.baseAddress, socklen_t(out.count)) != nil
            }
        }
        guard ok else { return "invalid address" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
