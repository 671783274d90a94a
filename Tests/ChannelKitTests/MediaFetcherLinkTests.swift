import ChannelKit
import ChannelKitTesting
import ChannelMedia
import HTTPTypes
import Synchronization
import Testing

/// A CDN behind the transport contract that answers per URL (and per connect address, when one
/// is listed as unreachable), recording what it was asked.
final class ScriptedCDN: HTTPTransport, Sendable {
    struct Seen: Sendable, Equatable {
        let url: String
        let connectAddress: IPAddress?
    }

    private let statuses: [String: Int]
    private let unreachable: Set<IPAddress>
    private let seen = Mutex<[Seen]>([])

    /// - Parameters:
    ///   - statuses: the status each URL answers; `200` serves a PNG, unlisted URLs answer 404.
    ///   - unreachable: addresses whose connections fail.
    init(_ statuses: [String: Int], unreachable: Set<IPAddress> = []) {
        self.statuses = statuses
        self.unreachable = unreachable
    }

    func execute(_ request: OutboundHTTPRequest) async throws -> OutboundHTTPResponse {
        seen.withLock { $0.append(Seen(url: request.url, connectAddress: request.connectAddress)) }
        if let address = request.connectAddress, unreachable.contains(address) {
            throw HTTPTransportError(.connectionFailed, "connection refused")
        }
        let status = statuses[request.url] ?? 404
        return OutboundHTTPResponse(status: .init(code: status), headers: [.contentType: "image/png"],
                                    body: status == 200 ? MediaFetcherLinkTests.png : Array("URL signature expired".utf8))
    }

    var requests: [Seen] { seen.withLock { $0 } }
}

/// Resolves every name to `first` the first time it is asked and to `later` after that, as a
/// name whose owner rebinds it between a check and a connect would.
final class RebindingResolver: HostResolver, Sendable {
    private let first: [IPAddress]
    private let later: [IPAddress]
    private let asked = Mutex(0)

    init(first: [IPAddress], later: [IPAddress]) {
        self.first = first
        self.later = later
    }

    func addresses(of host: String) async throws -> [IPAddress] {
        asked.withLock { $0 += 1; return $0 } == 1 ? first : later
    }

    var lookups: Int { asked.withLock { $0 } }
}

/// How the fetcher treats links: expired ones renewed once, names resolved once and connected
/// to at the address checked, refusals named for what they are.
@Suite("Media fetcher links")
struct MediaFetcherLinkTests {
    static let png = MediaFixtures.png(width: 3, height: 2)
    static let cdn = "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid="
    static let policy = MediaPolicy(allowedHosts: ["lookaside.fbsbx.com"], maxBytes: 100_000)
    static let publicAddress = IPAddress("157.240.1.1")!

    /// Counts the calls of a source's renewal.
    final class Renewals: Sendable {
        private let count = Mutex(0)
        var calls: Int { count.withLock { $0 } }
        func record() { count.withLock { $0 += 1 } }
    }

    static func source(_ url: String, renewingTo fresh: MediaSource?, _ renewals: Renewals) -> MediaSource {
        var source = MediaSource(url: url, headers: [.authorization: "Bearer token"])
        if let fresh {
            source.renew = {
                renewals.record()
                return fresh
            }
        }
        return source
    }

    static func failure(_ fetcher: MediaFetcher, _ source: MediaSource) async -> MediaError? {
        do {
            _ = try await fetcher.fetch(source, policy: policy)
            Issue.record("the media was fetched")
            return nil
        } catch {
            return error
        }
    }

    @Test("a link answering 401, 403, 404 or 410 is renewed once and the fresh link fetched", arguments: [401, 403, 404, 410])
    func renewsExpiredLinks(status: Int) async throws {
        let cdn = ScriptedCDN([Self.cdn + "old": status, Self.cdn + "fresh": 200])
        let fetcher = MediaFetcher(http: cdn, resolver: PublicAddressResolver(), timers: TestThreads.timers)
        let renewals = Renewals()
        let source = Self.source(Self.cdn + "old", renewingTo: MediaSource(url: Self.cdn + "fresh"), renewals)
        #expect(try await fetcher.fetch(source, policy: Self.policy).bytes == Self.png)
        #expect(renewals.calls == 1)
        #expect(cdn.requests.map(\.url) == [Self.cdn + "old", Self.cdn + "fresh"])
    }

    @Test("a renewed link that fails too is not renewed again; other failures are not renewed at all")
    func renewsOnce() async throws {
        let cdn = ScriptedCDN([Self.cdn + "old": 404, Self.cdn + "also-old": 403, Self.cdn + "broken": 500, Self.cdn + "fresh": 200])
        let fetcher = MediaFetcher(http: cdn, resolver: PublicAddressResolver(), timers: TestThreads.timers)
        let renewals = Renewals()
        // The fresh source would renew to a working link; the fetcher does not ask it.
        let stillExpired = Self.source(Self.cdn + "also-old", renewingTo: MediaSource(url: Self.cdn + "fresh"), renewals)
        let error = await Self.failure(fetcher, Self.source(Self.cdn + "old", renewingTo: stillExpired, renewals))
        #expect(error?.code == .unavailable)
        #expect(error?.httpStatus == 403)
        #expect(renewals.calls == 1)
        #expect(cdn.requests.map(\.url) == [Self.cdn + "old", Self.cdn + "also-old"])

        let serverError = await Self.failure(fetcher, Self.source(Self.cdn + "broken", renewingTo: MediaSource(url: Self.cdn + "fresh"), renewals))
        #expect(serverError?.httpStatus == 500)
        #expect(renewals.calls == 1)
    }

    @Test("a renewal that fails leaves the link's own error, saying no fresh link came")
    func renewalFails() async throws {
        let fetcher = MediaFetcher(http: ScriptedCDN([:]), resolver: PublicAddressResolver(), timers: TestThreads.timers)
        let source = MediaSource(url: Self.cdn + "old", renew: { throw CancellationError() })
        let error = await Self.failure(fetcher, source)
        #expect(error?.code == .unavailable)
        #expect(error?.httpStatus == 404)
        #expect(error?.message.contains("no fresh link") == true)
    }

    @Test("the name is resolved once and the connection goes to the address checked, not to what the name resolves to later")
    func connectsToTheCheckedAddress() async throws {
        let cdn = ScriptedCDN([Self.cdn + "photo": 200])
        let resolver = RebindingResolver(first: [Self.publicAddress], later: [IPAddress("127.0.0.1")!])
        let fetcher = MediaFetcher(http: cdn, resolver: resolver, timers: TestThreads.timers)
        #expect(try await fetcher.fetch(MediaSource(url: Self.cdn + "photo"), policy: Self.policy).bytes == Self.png)
        #expect(cdn.requests == [.init(url: Self.cdn + "photo", connectAddress: Self.publicAddress)])
        #expect(resolver.lookups == 1)
    }

    @Test("when the first checked address does not connect, the next one is tried; never an unchecked one")
    func triesTheNextCheckedAddress() async throws {
        let second = IPAddress("2a03:2880:f10d:83:face:b00c:0:25de")!
        let cdn = ScriptedCDN([Self.cdn + "photo": 200], unreachable: [Self.publicAddress])
        let fetcher = MediaFetcher(http: cdn, resolver: RebindingResolver(first: [Self.publicAddress, second], later: []), timers: TestThreads.timers)
        #expect(try await fetcher.fetch(MediaSource(url: Self.cdn + "photo"), policy: Self.policy).bytes == Self.png)
        #expect(cdn.requests.map(\.connectAddress) == [Self.publicAddress, second])
    }

    @Test("a host outside the allowlist is refused as a disallowed host whatever the scheme; plain http to an allowed host is the insecure scheme")
    func refusalsSayWhatHappened() async throws {
        let fetcher = MediaFetcher(http: ScriptedCDN([:]), resolver: PublicAddressResolver(), timers: TestThreads.timers)
        for url in ["http://evil.example.com/p.png", "https://evil.example.com/p.png", "ftp://evil.example.com/p.png"] {
            let error = await Self.failure(fetcher, MediaSource(url: url))
            #expect(error?.code == .disallowedHost, "\(url): \(String(describing: error))")
            #expect(error?.message == "evil.example.com is not an allowed media host")
        }
        #expect(await Self.failure(fetcher, MediaSource(url: "http://lookaside.fbsbx.com/p"))?.code == .insecureScheme)
    }
}
