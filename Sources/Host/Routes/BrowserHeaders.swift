import HTTPTypes

/// Headers every answer meant for a browser carries (the admin portal, the sandboxes): never
/// shown in another site's frame, no type sniffing, and no URL handed to other sites in
/// `Referer`.
enum BrowserHeaders {
    /// `X-Frame-Options: DENY`, `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`.
    static let common: HTTPFields = [
        .xFrameOptions: "DENY",
        .xContentTypeOptions: "nosniff",
        .referrerPolicy: "same-origin",
    ]

    /// The `Content-Security-Policy` of an answer that sets none: nothing loads, nothing runs,
    /// no frame may hold it.
    static let lockedDownPolicy = "default-src 'none'; frame-ancestors 'none'; sandbox"

    /// Adds ``common`` to `headers` (replacing what they said) and ``lockedDownPolicy`` when
    /// they have no `Content-Security-Policy`.
    static func secure(_ headers: inout HTTPFields) {
        for field in common { headers[field.name] = field.value }
        if headers[.contentSecurityPolicy] == nil { headers[.contentSecurityPolicy] = lockedDownPolicy }
    }
}

extension HTTPField.Name {
    /// `X-Frame-Options`.
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    /// `Referrer-Policy`.
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    /// `Sec-Fetch-Site`: where a browser says a request comes from (`same-origin`, `same-site`,
    /// `cross-site`, `none`).
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
}
