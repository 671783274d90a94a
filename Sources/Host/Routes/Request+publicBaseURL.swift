import Foundation
import HTTPTypes
import Hummingbird

extension Request {
    /// The host's public URL, without a trailing slash: `configured` (`admin.public_base_url`)
    /// when set, else the request's scheme (`X-Forwarded-Proto` behind a proxy) and host
    /// (`fallbackHost` when the request names none).
    func publicBaseURL(configured: String, fallbackHost: String) -> String {
        var configured = configured
        if !configured.isEmpty {
            while configured.hasSuffix("/") { configured.removeLast() }
            return configured
        }
        let scheme = headers[HTTPField.Name("X-Forwarded-Proto")!]?.split(separator: ",").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .flatMap { $0 == "https" || $0 == "http" ? $0 : nil } ?? "http"
        return "\(scheme)://\(head.authority ?? fallbackHost)"
    }
}
