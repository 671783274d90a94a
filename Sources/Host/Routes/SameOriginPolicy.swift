import Foundation
import Hummingbird

/// Whether a browser's request comes from this host's own pages: what the admin portal's forms
/// and the sandboxes' `POST`s are checked with, so that another site's page cannot make a
/// visitor's browser change anything here.
///
/// A request is refused when the browser says it is not same-origin: `Sec-Fetch-Site` other
/// than `same-origin` (or `none`, typed by the user), or an `Origin` whose `host[:port]` is
/// neither the request's own `Host` nor that of `admin.public_base_url` (behind a proxy that
/// rewrites `Host`). A request with neither header is not a modern browser's cross-site
/// request and is let through (command-line clients, tests, the host's own calls).
///
/// ```swift
/// guard SameOriginPolicy(publicBaseURL: configuration.admin.publicBaseURL).allows(request) else { /* 403 */ }
/// ```
struct SameOriginPolicy: Sendable {
    /// `admin.public_base_url`, or empty.
    let publicBaseURL: String

    /// Whether `request` may act: sent by a page of this host, or not by a browser page at all.
    func allows(_ request: Request) -> Bool {
        if let site = request.headers[.secFetchSite]?.lowercased(), site != "same-origin", site != "none" { return false }
        guard let origin = request.headers[.origin] else { return true }
        guard let authority = Self.authority(of: origin) else { return false }
        if let host = request.head.authority, authority == host.lowercased() { return true }
        return !publicBaseURL.isEmpty && Self.authority(of: publicBaseURL) == authority
    }

    /// `host[:port]` of a URL, lowercased; `nil` for `null` and other non-URLs.
    static func authority(of url: String) -> String? {
        guard let components = URLComponents(string: url), let host = components.host?.lowercased(), !host.isEmpty else { return nil }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return components.port.map { "\(bracketed):\($0)" } ?? bracketed
    }
}
