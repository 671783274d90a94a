import ChannelKit
import Foundation

/// The `Host` names this host answers for, against DNS rebinding: a page of
/// `rebind.attacker.example`, once that name resolves to `127.0.0.1`, is same-origin with
/// whatever answers there, and could drive a loopback install's sandbox from the visitor's
/// browser. A request naming another host is refused (see ``HostAllowlistMiddleware``).
///
/// Answered: `localhost`; any IP address literal (`127.0.0.1`, `[::1]`, `10.0.0.5`: no DNS
/// name, so nothing to rebind); the host of `admin.public_base_url`; `server.host` when it is
/// a name; and every name in `server.allowed_hosts` (`*` there answers any name). The port is
/// not compared, and names are compared without case or a trailing dot.
///
/// ```swift
/// let allowlist = HostAllowlist(server: configuration.server, publicBaseURL: configuration.admin.publicBaseURL)
/// allowlist.allows("rebind.attacker.example:8080")   // false
/// ```
struct HostAllowlist: Sendable {
    /// The names answered besides IP literals, lowercased.
    let names: Set<String>
    /// Whether every name is answered (`*` in `server.allowed_hosts`).
    let allowsAny: Bool

    init(server: ServerConfiguration, publicBaseURL: String) {
        var names: Set<String> = ["localhost"]
        if let host = URLComponents(string: publicBaseURL)?.host, let name = Self.name(of: host) { names.insert(name) }
        if let name = Self.name(of: server.host) { names.insert(name) }
        for entry in server.allowedHosts where entry != "*" {
            if let name = Self.name(of: entry) { names.insert(name) }
        }
        self.names = names
        allowsAny = server.allowedHosts.contains("*")
    }

    /// Whether a request whose `Host` is `authority` (`name[:port]`) is answered. A request
    /// without one (HTTP/1.0) is: browsers always send it.
    func allows(_ authority: String?) -> Bool {
        guard !allowsAny, let authority else { return true }
        guard let name = Self.name(of: authority) else { return false }
        return IPAddress(name) != nil || names.contains(name)
    }

    /// The host name of `name[:port]` or `[v6]:port`, lowercased, without a trailing dot;
    /// `nil` when empty.
    static func name(of authority: String) -> String? {
        var text = Substring(authority.trimmingCharacters(in: .whitespaces).lowercased())
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            text = text[...close]
        } else if let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon {
            text = text[..<colon]
        }
        while text.hasSuffix(".") { text = text.dropLast() }
        return text.isEmpty ? nil : String(text)
    }

    /// One `server.allowed_hosts` entry, lowercased: `*`, a DNS name or an IP address, with no
    /// scheme, port or path; `nil` for anything else.
    static func canonicalEntry(_ text: String) -> String? {
        let entry = text.lowercased()
        if entry == "*" || IPAddress(entry) != nil { return entry }
        let labels = entry.split(separator: ".", omittingEmptySubsequences: false)
        let valid = entry.utf8.count <= 253 && labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
        return valid ? entry : nil
    }
}
