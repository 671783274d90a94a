import ChannelKit
/// Where and how a channel's media may be fetched: the SSRF defence and the resource caps.
///
/// ```swift
/// var policy = MediaPolicy(allowedHosts: channel.profile.allowedMediaHosts)
/// policy.allowedHosts += ["media.example.com"]           // channels.yaml: media_allowed_hosts
/// policy.plainHTTPHosts = ["127.0.0.1:8080"]             // the sandbox, named explicitly
/// ```
public struct MediaPolicy: Sendable, Hashable {
    /// The default cap on one attachment: 25 MB.
    public static let defaultMaxBytes = 25 * 1024 * 1024
    /// The default time for a whole download, redirects included.
    public static let defaultTimeout: Duration = .seconds(30)
    /// The default number of redirects followed.
    public static let defaultMaxRedirects = 5

    /// Hosts reachable over HTTPS on port 443: exact names, or `*.example.com` for any
    /// subdomain of `example.com` (not `example.com` itself). Their addresses must be public.
    public var allowedHosts: [String]
    /// `host:port` entries reachable over plain HTTP (or HTTPS) at any address, loopback and
    /// private included: local emulators and test servers, named explicitly.
    public var plainHTTPHosts: [String]
    /// The largest body accepted, enforced while the body streams.
    public var maxBytes: Int
    /// The time a whole download may take, redirects included.
    public var timeout: Duration
    /// Redirects followed, each to an allowed host.
    public var maxRedirects: Int

    /// Creates a policy.
    public init(allowedHosts: [String] = [], plainHTTPHosts: [String] = [], maxBytes: Int = defaultMaxBytes,
                timeout: Duration = defaultTimeout, maxRedirects: Int = defaultMaxRedirects) {
        self.allowedHosts = allowedHosts
        self.plainHTTPHosts = plainHTTPHosts
        self.maxBytes = max(1, maxBytes)
        self.timeout = timeout
        self.maxRedirects = max(0, maxRedirects)
    }

    /// Whether `host` (lowercase, without a trailing dot) matches an ``allowedHosts`` entry.
    public func allows(host: String) -> Bool {
        let host = Self.normalized(host)
        guard !host.isEmpty else { return false }
        return allowedHosts.contains { pattern in
            let pattern = Self.normalized(pattern)
            if pattern.hasPrefix("*.") {
                let suffix = pattern.dropFirst(1)   // ".example.com"
                return suffix.count > 1 && host.hasSuffix(suffix) && host.count > suffix.count
            }
            return !pattern.isEmpty && host == pattern
        }
    }

    /// Whether `host:port` is named in ``plainHTTPHosts``.
    public func allowsPlainHTTP(host: String, port: Int) -> Bool {
        let host = Self.normalized(host)
        return plainHTTPHosts.contains { entry in
            guard let (entryHost, entryPort) = Self.splitHostPort(entry) else { return false }
            return entryHost == host && entryPort == port
        }
    }

    /// Lowercase, without brackets or a trailing dot.
    static func normalized(_ host: String) -> String {
        var host = host.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        while host.hasSuffix(".") { host.removeLast() }
        return host
    }

    /// Splits `host:port` or `[v6]:port`; `nil` without a valid port.
    public static func splitHostPort(_ entry: String) -> (host: String, port: Int)? {
        let entry = entry.trimmingWhitespaceAndNewlines
        guard let colon = entry.lastIndex(of: ":"),
              let port = Int(entry[entry.index(after: colon)...]), (1...65_535).contains(port)
        else { return nil }
        let host = String(entry[..<colon])
        if host.contains(":"), !(host.hasPrefix("[") && host.hasSuffix("]")) { return nil }
        let normalized = normalized(host)
        return normalized.isEmpty ? nil : (normalized, port)
    }
}

extension String {
    package var trimmingWhitespaceAndNewlines: String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
