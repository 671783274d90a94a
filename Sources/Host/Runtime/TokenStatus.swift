import Foundation

/// What the host knows of a refreshing channel's access token (Instagram Login): when it
/// expires, when the host last refreshed it, and the last refresh's failure — for `/readyz`
/// and the admin portal.
struct TokenStatus: Sendable, Hashable {
    /// When the token expires; `nil` while unknown (a token from channels.yaml before its first refresh).
    var expiresAt: Date?
    /// Whether ``expiresAt`` is reckoned from when the token was saved (a token pasted in the
    /// portal may be older), rather than the platform's `expires_in`.
    var expiryEstimated = true
    /// When the host last saved a refreshed token (its saved time).
    var refreshedAt: Date?
    /// The platform's lifetime of the token refreshed at ``refreshedAt``.
    var refreshedExpiresAt: Date?
    /// A digest of the token refreshed at ``refreshedAt`` (never the token), to tell whether
    /// the channel still sends with it: the platform may hand back the same token, which
    /// saves nothing new, and an operator may save another one.
    var refreshedTokenDigest: String?
    /// Why the last refresh failed; `nil` after a success.
    var lastError: String?
    /// When the last refresh failed.
    var failedAt: Date?

    /// A failed refresh with less than this left before expiry makes `/readyz` say `degraded`.
    static let urgentWithin: TimeInterval = 7 * 86_400

    /// Whether the last refresh failed and the token expires within ``urgentWithin`` (or has expired).
    func isUrgent(at now: Date) -> Bool {
        guard lastError != nil, let expiresAt else { return false }
        return expiresAt.timeIntervalSince(now) < Self.urgentWithin
    }

    /// The `token` object of a channel in `/readyz`.
    var json: [String: Any] {
        let format = ISO8601DateFormatter()
        var json: [String: Any] = ["expires_at": expiresAt.map(format.string(from:)) ?? NSNull(), "expiry_estimated": expiryEstimated]
        if let refreshedAt { json["refreshed_at"] = format.string(from: refreshedAt) }
        if let lastError { json["refresh_error"] = lastError }
        if let failedAt { json["refresh_failed_at"] = format.string(from: failedAt) }
        return json
    }
}
