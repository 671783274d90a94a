import Foundation
import Synchronization

/// A browser-like client of the admin portal over real HTTP: it keeps the cookies the host
/// sets (per path), sends them back, and reads the CSRF token out of each page.
final class AdminClient: Sendable {
    let baseURL: String
    private let cookies = Mutex<[String: (value: String, path: String)]>([:])
    /// The `csrf` field of the last page read.
    private let lastCSRF = Mutex<String?>(nil)

    /// Sent with every request (a proxy's `X-Forwarded-For`, say).
    let headers: [String: String]

    init(baseURL: String, headers: [String: String] = [:]) {
        self.baseURL = baseURL
        self.headers = headers
    }

    var csrf: String? { lastCSRF.withLock { $0 } }

    /// The raw `Set-Cookie` headers of the last login, for checking attributes.
    func cookie(_ name: String) -> String? { cookies.withLock { $0[name]?.value } }

    func get(_ path: String) async throws -> TestHTTP.Reply {
        try await send("GET", path)
    }

    /// Posts a form; `csrf` defaults to the token of the last page read.
    func post(_ path: String, _ fields: [(String, String)], csrf: String?? = .none, headers: [String: String] = [:]) async throws -> TestHTTP.Reply {
        var all = fields
        switch csrf {
        case .none: if let token = self.csrf { all.insert(("csrf", token), at: 0) }
        case .some(.some(let token)): all.insert(("csrf", token), at: 0)
        case .some(.none): break
        }
        let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        var allHeaders = headers
        allHeaders["Content-Type"] = "application/x-www-form-urlencoded"
        return try await send("POST", path, headers: allHeaders, body: Array(body.utf8))
    }

    /// Logs in with `password` from a fresh login page.
    @discardableResult
    func logIn(_ password: String) async throws -> TestHTTP.Reply {
        _ = try await get("/admin/login")
        return try await post("/admin/login", [("password", password)])
    }

    func send(_ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8]? = nil) async throws -> TestHTTP.Reply {
        var headers = self.headers.merging(headers) { _, given in given }
        let jar = cookies.withLock { $0 }
        let matching = jar.filter { path.hasPrefix($0.value.path) }.map { "\($0.key)=\($0.value.value)" }
        if !matching.isEmpty { headers["Cookie"] = matching.joined(separator: "; ") }
        let reply = try await TestHTTP.request(method, baseURL + path, headers: headers, body: body)
        for (name, value) in reply.headers where name.lowercased() == "set-cookie" {
            let parts = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let pair = parts.first, let equals = pair.firstIndex(of: "=") else { continue }
            let cookieName = String(pair[..<equals])
            let cookieValue = String(pair[pair.index(after: equals)...])
            let cookiePath = parts.first { $0.lowercased().hasPrefix("path=") }.map { String($0.dropFirst(5)) } ?? "/"
            let expired = parts.contains { $0.lowercased() == "max-age=0" }
            cookies.withLock { $0[cookieName] = expired ? nil : (cookieValue, cookiePath) }
        }
        if let token = Self.csrfToken(in: reply.text) { lastCSRF.withLock { $0 = token } }
        return reply
    }

    static func csrfToken(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value=""#) else { return nil }
        let rest = html[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
