import ChannelConcurrency
import ChannelKit
import Crypto
import Foundation
import HTTPTypes

/// Downloads a channel's media into memory, defending against server-side request forgery.
///
/// Every hop — the first URL and each redirect, followed here because the transport follows
/// none — is checked before anything connects:
/// - the scheme is `https` on port 443 for an allowlisted host (``MediaPolicy/allowedHosts``),
///   or the exact `host:port` is named in ``MediaPolicy/plainHTTPHosts`` (local emulators);
/// - an allowlisted host must resolve only to public addresses: loopback, private,
///   link-local, unique-local and unspecified addresses are refused, in IPv4 and IPv6,
///   IPv4-mapped IPv6 included; the name is resolved once, and the request connects to the
///   address checked (``OutboundHTTPRequest/connectAddress``), so a name that resolves again
///   to another address in between (DNS rebinding) cannot lead anywhere unchecked;
/// - URLs carrying credentials are refused, and the source's headers (a platform token) go to
///   the source's own origin only, never to where a redirect leads.
///
/// The body is capped while it streams (the transport stops reading past the cap), the whole
/// download shares one deadline, bytes that differ from the SHA-256 or size the platform
/// announced (``MediaSource/expectedSHA256``) are refused, and the format is sniffed from the
/// bytes; anything that is not a supported image or audio format is refused.
///
/// A link that answers 401, 403, 404 or 410 has usually expired (WhatsApp's live minutes): when
/// the source can be renewed (``MediaSource/renew``), the fetcher asks for a fresh one once,
/// within the same deadline, and downloads that instead.
///
/// ```swift
/// let fetcher = MediaFetcher(http: context.http)
/// let media = try await fetcher.fetch(MediaSource(url: attachmentURL), policy: policy)
/// media.format.mimeType   // "audio/mp4", even when the CDN said "video/mp4"
/// ```
public struct MediaFetcher: Sendable {
    private let http: any HTTPTransport
    private let resolver: any HostResolver
    private let timers: TimerThread

    /// Creates a fetcher.
    /// - Parameters:
    ///   - http: the host's transport; it must not follow redirects.
    ///   - resolver: resolves host names before connecting; the system's by default.
    ///   - timers: the process's timer thread, for the download's deadline.
    public init(http: any HTTPTransport, resolver: any HostResolver = SystemHostResolver(), timers: TimerThread) {
        self.http = http
        self.resolver = resolver
        self.timers = timers
    }

    /// The statuses after which a renewable source is asked for a fresh link.
    static let expiredLinkStatuses: Set<Int> = [401, 403, 404, 410]

    /// Downloads `source` under `policy`.
    /// - Returns: the bytes and their sniffed format.
    /// - Throws: ``MediaError``.
    public func fetch(_ source: MediaSource, policy: MediaPolicy) async throws(MediaError) -> MediaData {
        let clock = ContinuousClock()
        let deadline = clock.now + policy.timeout
        do throws(MediaError) {
            return try await download(source, policy: policy, until: deadline, clock: clock)
        } catch let expired where expired.code == .unavailable && Self.expiredLinkStatuses.contains(expired.httpStatus ?? 0) {
            guard let renew = source.renew else { throw expired }
            let fresh: MediaSource
            do {
                let remaining = clock.now.duration(to: deadline)
                guard remaining > .zero else { throw expired }
                fresh = try await withDeadline(remaining, timers: timers) { try await renew() }
            } catch let failure as MediaError {
                throw failure
            } catch is DeadlineExceeded {
                throw MediaError(.timeout, "\(expired.message); no fresh link within \(policy.timeout)")
            } catch {
                throw MediaError(expired.code, "\(expired.message); the platform gave no fresh link", httpStatus: expired.httpStatus)
            }
            var once = fresh
            once.renew = nil
            return try await download(once, policy: policy, until: deadline, clock: clock)
        }
    }

    /// One download of `source`, following redirects, within `deadline`.
    private func download(_ source: MediaSource, policy: MediaPolicy, until deadline: ContinuousClock.Instant,
                          clock: ContinuousClock) async throws(MediaError) -> MediaData {
        var url = source.url
        let first = try target(of: url, policy: policy)
        let firstHost = first.host
        var redirects = 0
        while true {
            let hop = try target(of: url, policy: policy)
            // Resolved once; the connection goes to an address that was checked, never to
            // whatever the name resolves to by then.
            var addresses: [IPAddress] = []
            if !hop.isNamedLocal { addresses = try await checkedAddresses(of: hop.host, until: deadline, clock: clock) }
            var headers: HTTPFields = hop.host == first.host && hop.port == first.port && hop.scheme == first.scheme ? source.headers : [:]
            headers[.accept] = "image/*, audio/*, video/*, */*;q=0.1"
            let response = try await execute(url: url, headers: headers, hop: hop, addresses: addresses, policy: policy,
                                             until: deadline, clock: clock)

            switch response.status.code {
            case 301, 302, 303, 307, 308:
                guard redirects < policy.maxRedirects else {
                    throw MediaError(.tooManyRedirects, "more than \(policy.maxRedirects) redirects from \(firstHost)")
                }
                guard let location = response.headers[.location], let next = URL(string: location, relativeTo: URL(string: url))
                else {
                    throw MediaError(.tooManyRedirects, "a redirect from \(hop.host) without a usable Location")
                }
                redirects += 1
                url = next.absoluteString
                continue
            case 200...299:
                guard !response.body.isEmpty else { throw MediaError(.unsupportedType, "\(hop.host) sent an empty body") }
                try Self.checkIntegrity(of: response.body, against: source, host: hop.host)
                guard let format = MediaSniffer.format(of: response.body) else {
                    throw MediaError(.unsupportedType, "\(hop.host) sent bytes of no supported image or audio format")
                }
                return MediaData(bytes: response.body, format: format)
            default:
                throw MediaError(.unavailable, "\(hop.host) answered \(response.status.code)", httpStatus: response.status.code)
            }
        }
    }

    /// Refuses bytes that differ from what the platform announced.
    private static func checkIntegrity(of body: [UInt8], against source: MediaSource, host: String) throws(MediaError) {
        if let expected = source.expectedByteCount, expected != body.count {
            throw MediaError(.integrityMismatch, "\(host) sent \(body.count) bytes; the platform announced \(expected)")
        }
        if let expected = source.expectedSHA256 {
            guard Array(SHA256.hash(data: body)) == expected else {
                throw MediaError(.integrityMismatch, "the media from \(host) does not match the SHA-256 the platform announced")
            }
        }
    }

    /// One hop's destination, checked against the policy.
    private struct Target {
        var scheme: String
        var host: String
        var port: Int
        /// Named in ``MediaPolicy/plainHTTPHosts``: any scheme and address.
        var isNamedLocal: Bool
    }

    private func target(of url: String, policy: MediaPolicy) throws(MediaError) -> Target {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let rawHost = components.host, !rawHost.isEmpty
        else {
            throw MediaError(.invalidURL, "the media URL has no scheme or host")
        }
        guard components.user == nil, components.password == nil else {
            throw MediaError(.invalidURL, "the media URL carries credentials")
        }
        let host = MediaPolicy.normalized(rawHost)
        guard !host.contains("%"), !host.contains("/"), !host.contains("@") else {
            throw MediaError(.invalidURL, "the media URL's host is not a plain name or address")
        }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        if scheme == "http" || scheme == "https", policy.allowsPlainHTTP(host: host, port: port) {
            return Target(scheme: scheme, host: host, port: port, isNamedLocal: true)
        }
        // The host first: a host outside the allowlist is refused as such, whatever its scheme.
        guard policy.allows(host: host) else {
            throw MediaError(.disallowedHost, "\(host) is not an allowed media host")
        }
        guard scheme == "https" else {
            throw MediaError(.insecureScheme, "the media URL for \(host) uses \(scheme), not https")
        }
        guard port == 443 else {
            throw MediaError(.disallowedHost, "\(host) on port \(port): media hosts are reached on port 443")
        }
        return Target(scheme: scheme, host: host, port: port, isNamedLocal: false)
    }

    /// GETs `url`, connecting to each checked address in turn while connections fail (any
    /// address for a named local host).
    private func execute(url: String, headers: HTTPFields, hop: Target, addresses: [IPAddress], policy: MediaPolicy,
                         until deadline: ContinuousClock.Instant, clock: ContinuousClock) async throws(MediaError) -> OutboundHTTPResponse {
        let candidates: [IPAddress?] = addresses.isEmpty ? [nil] : addresses
        var lastFailure = MediaError(.connectionFailed, "\(hop.host): no address to connect to")
        for address in candidates {
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { throw MediaError(.timeout, "no answer from \(hop.host) within \(policy.timeout)") }
            do {
                return try await http.execute(OutboundHTTPRequest(
                    method: .get, url: url, headers: headers, timeout: remaining, maxResponseBytes: policy.maxBytes,
                    connectAddress: address))
            } catch let error as HTTPTransportError {
                switch error.code {
                case .responseTooLarge:
                    throw MediaError(.tooLarge, "media from \(hop.host) is larger than \(MediaData.sizeText(policy.maxBytes))")
                case .timeout:
                    throw MediaError(.timeout, "no complete answer from \(hop.host) within \(policy.timeout)")
                case .invalidURL:
                    throw MediaError(.invalidURL, "the media URL for \(hop.host) cannot be used")
                case .connectionFailed:
                    lastFailure = MediaError(.connectionFailed, "\(hop.host): \(error.message)")
                }
            } catch {
                if Task.isCancelled { throw MediaError(.timeout, "the download from \(hop.host) was cancelled") }
                lastFailure = MediaError(.connectionFailed, "\(hop.host): \(type(of: error))")
            }
        }
        throw lastFailure
    }

    /// The addresses `host` resolves to, all of them public, in the resolver's order.
    private func checkedAddresses(of host: String, until deadline: ContinuousClock.Instant,
                                  clock: ContinuousClock) async throws(MediaError) -> [IPAddress] {
        let addresses: [IPAddress]
        do {
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { throw MediaError(.timeout, "no answer from \(host) in time") }
            addresses = try await withDeadline(remaining, timers: timers) { [resolver] in try await resolver.addresses(of: host) }
        } catch let error as MediaError {
            throw error
        } catch is DeadlineExceeded {
            throw MediaError(.timeout, "resolving \(host) took too long")
        } catch {
            throw MediaError(.connectionFailed, "\(host) does not resolve")
        }
        if let refused = addresses.first(where: { !$0.isPublic }) {
            throw MediaError(.privateAddress, "\(host) resolves to \(refused), which is not a public address")
        }
        guard !addresses.isEmpty else { throw MediaError(.connectionFailed, "\(host) has no addresses") }
        return addresses
    }
}
