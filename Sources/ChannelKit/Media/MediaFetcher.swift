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
///   IPv4-mapped IPv6 included;
/// - URLs carrying credentials are refused, and the source's headers (a platform token) go to
///   the source's own origin only, never to where a redirect leads.
///
/// The body is capped while it streams (the transport stops reading past the cap), the whole
/// download shares one deadline, bytes that differ from the SHA-256 or size the platform
/// announced (``MediaSource/expectedSHA256``) are refused, and the format is sniffed from the
/// bytes; anything that is not a supported image or audio format is refused.
///
/// ```swift
/// let fetcher = MediaFetcher(http: context.http)
/// let media = try await fetcher.fetch(MediaSource(url: attachmentURL), policy: policy)
/// media.format.mimeType   // "audio/mp4", even when the CDN said "video/mp4"
/// ```
public struct MediaFetcher: Sendable {
    private let http: any HTTPTransport
    private let resolver: any HostResolver

    /// Creates a fetcher.
    /// - Parameters:
    ///   - http: the host's transport; it must not follow redirects.
    ///   - resolver: resolves host names before connecting; the system's by default.
    public init(http: any HTTPTransport, resolver: any HostResolver = SystemHostResolver()) {
        self.http = http
        self.resolver = resolver
    }

    /// Downloads `source` under `policy`.
    /// - Returns: the bytes and their sniffed format.
    /// - Throws: ``MediaError``.
    public func fetch(_ source: MediaSource, policy: MediaPolicy) async throws(MediaError) -> MediaData {
        let clock = ContinuousClock()
        let deadline = clock.now + policy.timeout
        var url = source.url
        let first = try target(of: url, policy: policy)
        let firstHost = first.host
        var redirects = 0
        while true {
            let hop = try target(of: url, policy: policy)
            if !hop.isNamedLocal {
                try await checkAddresses(of: hop.host, until: deadline, clock: clock)
            }
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { throw MediaError(.timeout, "no answer from \(hop.host) within \(policy.timeout)") }
            var headers: HTTPFields = hop.host == first.host && hop.port == first.port && hop.scheme == first.scheme ? source.headers : [:]
            headers[.accept] = "image/*, audio/*, video/*, */*;q=0.1"
            let response: OutboundHTTPResponse
            do {
                response = try await http.execute(OutboundHTTPRequest(
                    method: .get, url: url, headers: headers, timeout: remaining, maxResponseBytes: policy.maxBytes))
            } catch let error as HTTPTransportError {
                switch error.code {
                case .responseTooLarge:
                    throw MediaError(.tooLarge, "media from \(hop.host) is larger than \(MediaData.sizeText(policy.maxBytes))")
                case .timeout:
                    throw MediaError(.timeout, "no complete answer from \(hop.host) within \(policy.timeout)")
                case .invalidURL:
                    throw MediaError(.invalidURL, "the media URL for \(hop.host) cannot be used")
                case .connectionFailed:
                    throw MediaError(.connectionFailed, "\(hop.host): \(error.message)")
                }
            } catch {
                if Task.isCancelled { throw MediaError(.timeout, "the download from \(hop.host) was cancelled") }
                throw MediaError(.connectionFailed, "\(hop.host): \(type(of: error))")
            }

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
        guard scheme == "http" || scheme == "https" else {
            throw MediaError(.insecureScheme, "the media URL's scheme is \(scheme), not https")
        }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        if policy.allowsPlainHTTP(host: host, port: port) {
            return Target(scheme: scheme, host: host, port: port, isNamedLocal: true)
        }
        guard scheme == "https" else {
            throw MediaError(.insecureScheme, "\(host) is not reachable over plain http (media needs https)")
        }
        guard policy.allows(host: host) else {
            throw MediaError(.disallowedHost, "\(host) is not an allowed media host")
        }
        guard port == 443 else {
            throw MediaError(.disallowedHost, "\(host) on port \(port): media hosts are reached on port 443")
        }
        return Target(scheme: scheme, host: host, port: port, isNamedLocal: false)
    }

    private func checkAddresses(of host: String, until deadline: ContinuousClock.Instant, clock: ContinuousClock) async throws(MediaError) {
        let addresses: [IPAddress]
        do {
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { throw MediaError(.timeout, "no answer from \(host) in time") }
            addresses = try await withDeadline(remaining) { [resolver] in try await resolver.addresses(of: host) }
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
    }
}
