import ChannelKit
import ChannelMedia
import Testing

@Suite("Media hosts and addresses")
struct MediaPolicyTests {
    @Test("loopback, private, link-local, unique-local, unspecified and reserved addresses are not public", arguments: [
        "127.0.0.1", "127.255.0.9", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
        "0.0.0.0", "0.1.2.3", "100.64.0.1", "198.18.0.1", "224.0.0.1", "239.255.255.250", "255.255.255.255", "192.0.2.5",
        "::", "::1", "fe80::1", "febf::1", "fc00::1", "fd12:3456::1", "fec0::1", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::10.0.0.1",
        "2002:0a00:0001::1", "2001:db8::1", "[::1]",
    ])
    func notPublic(text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(!address.isPublic, "\(text)")
    }

    @Test("public addresses are public", arguments: [
        "157.240.22.35", "31.13.64.1", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2a03:2880:f12f:83:face:b00c:0:25de",
        "::ffff:157.240.22.35", "64:ff9b::8.8.8.8", "2002:9df0:1623::1",
    ])
    func publicAddresses(text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.isPublic, "\(text)")
    }

    @Test("addresses parse and print in their usual forms")
    func parsing() {
        #expect(IPAddress("10.0.0.1")?.bytes == [10, 0, 0, 1])
        #expect(IPAddress("::ffff:10.0.0.1")?.embeddedIPv4 == IPAddress("10.0.0.1"))
        #expect(IPAddress("fe80::1%eth0") == nil)
        #expect(IPAddress("lookaside.fbsbx.com") == nil)
        #expect(IPAddress("2001:DB8::1")?.description == "2001:db8::1")
        #expect(IPAddress("127.0.0.1")?.description == "127.0.0.1")
    }

    @Test("allowlist entries match exact hosts, and *. entries their subdomains only")
    func hostMatching() {
        let policy = MediaPolicy(allowedHosts: ["lookaside.fbsbx.com", "*.fbcdn.net", "*.CDNinstagram.com"])
        #expect(policy.allows(host: "lookaside.fbsbx.com"))
        #expect(policy.allows(host: "LOOKASIDE.FBSBX.COM."))
        #expect(policy.allows(host: "scontent.xx.fbcdn.net"))
        #expect(policy.allows(host: "a.b.cdninstagram.com"))
        #expect(!policy.allows(host: "fbcdn.net"))
        #expect(!policy.allows(host: "evilfbcdn.net"))
        #expect(!policy.allows(host: "fbcdn.net.evil.com"))
        #expect(!policy.allows(host: "sub.lookaside.fbsbx.com"))
        #expect(!policy.allows(host: ""))
    }

    @Test("plain-HTTP entries match host and port exactly")
    func plainHTTPMatching() {
        let policy = MediaPolicy(plainHTTPHosts: ["127.0.0.1:8080", "[::1]:9000", "LocalHost:7000"])
        #expect(policy.allowsPlainHTTP(host: "127.0.0.1", port: 8080))
        #expect(!policy.allowsPlainHTTP(host: "127.0.0.1", port: 8081))
        #expect(policy.allowsPlainHTTP(host: "::1", port: 9000))
        #expect(policy.allowsPlainHTTP(host: "[::1]", port: 9000))
        #expect(policy.allowsPlainHTTP(host: "localhost", port: 7000))
        #expect(!policy.allowsPlainHTTP(host: "127.0.0.2", port: 8080))
        #expect(MediaPolicy.splitHostPort("127.0.0.1") == nil)
        #expect(MediaPolicy.splitHostPort("::1:80") == nil)
        #expect(MediaPolicy.splitHostPort("host:0") == nil)
    }
}
