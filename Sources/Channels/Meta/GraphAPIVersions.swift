import Foundation
import Logging

/// Meta's published Graph API versions and when each stops working, so that a channel
/// configured with a version near or past its end says so at start.
///
/// Source: Meta's "Graph API changelog — Versions" page,
/// https://developers.facebook.com/docs/graph-api/changelog/versions/ (release and expiration
/// dates as published there, read December 2026), and for v27.0's release date Meta's post
/// https://developers.facebook.com/blog/post/2026/11/04/introducing-graph-api-v27-and-marketing-api-v27/ .
/// A version is available until about two years after its successor is released; Meta
/// publishes the exact expiry only then, so the newest versions have none yet. Add a row when
/// Meta releases a version, and move ``recommended`` to it.
///
/// ```swift
/// GraphAPIVersions.status(of: "v21.0", at: now)   // .expiresSoon(2027-01-21, days: 45)
/// GraphAPIVersions.warnIfAging("v21.0", channelType: "instagram", logger: logger)
/// ```
public enum GraphAPIVersions {
    /// The version every Meta channel uses unless configured otherwise: the newest released.
    public static let recommended = "v27.0"

    /// How long before its expiry a version is warned about.
    public static let warningDays = 60

    /// One published version.
    public struct Release: Sendable, Hashable {
        /// The path segment, `v24.0`.
        public var version: String
        /// When Meta released it.
        public var released: Date
        /// When calls to it stop being served as that version; `nil` while Meta has not said.
        public var expires: Date?
    }

    /// The published versions, newest first (v10.0 onwards; every older one expired by June 2023).
    public static let releases: [Release] = [
        release("v27.0", "2026-11-04", nil),
        release("v26.0", "2026-07-29", nil),
        release("v25.0", "2026-02-18", "2028-07-29"),
        release("v24.0", "2025-10-08", "2028-02-18"),
        release("v23.0", "2025-05-29", "2027-10-08"),
        release("v22.0", "2025-01-21", "2027-05-20"),
        release("v21.0", "2024-10-02", "2027-01-21"),
        release("v20.0", "2024-05-21", "2026-09-24"),
        release("v19.0", "2024-01-23", "2026-05-21"),
        release("v18.0", "2023-09-12", "2026-01-26"),
        release("v17.0", "2023-05-23", "2025-09-12"),
        release("v16.0", "2023-02-02", "2025-05-14"),
        release("v15.0", "2022-09-15", "2024-11-20"),
        release("v14.0", "2022-05-25", "2024-09-17"),
        release("v13.0", "2022-02-08", "2024-05-28"),
        release("v12.0", "2021-09-14", "2024-02-08"),
        release("v11.0", "2021-06-08", "2023-09-14"),
        release("v10.0", "2021-02-23", "2023-06-08"),
    ]

    /// Where a version stands on a day.
    public enum Status: Sendable, Hashable {
        /// Not expiring within ``warningDays`` (or no expiry published yet).
        case current
        /// Expiring within ``warningDays``: on `date`, `days` from now.
        case expiresSoon(Date, days: Int)
        /// Expired on `date` (for versions older than the table, the oldest row's expiry).
        case expired(Date)
        /// Not a `vMAJOR.MINOR` version the table can place (newer than the table, or not a version).
        case unknown
    }

    /// Where `version` stands at `now`.
    public static func status(of version: String, at now: Date) -> Status {
        guard let number = number(of: version) else { return .unknown }
        let expiry: Date
        if let row = releases.first(where: { Self.number(of: $0.version) == number }) {
            guard let expires = row.expires else { return .current }
            expiry = expires
        } else if let oldest = releases.last, let oldestNumber = Self.number(of: oldest.version), number.lexicographicallyPrecedes(oldestNumber),
                  let expires = oldest.expires {
            return .expired(expires)
        } else {
            return .unknown
        }
        if expiry <= now { return .expired(expiry) }
        let days = Int((expiry.timeIntervalSince(now) / 86_400).rounded(.up))
        return days <= warningDays ? .expiresSoon(expiry, days: days) : .current
    }

    /// `version` with where it stands, for the start-up banner and `sandra check-config`:
    /// `v27.0 (no expiry announced)`, `v24.0 (expires 2028-02-18)`, `v21.0 (expires 2027-01-21), soon`,
    /// `v19.0 (EXPIRED 2026-05-21)`.
    public static func summary(of version: String, at now: Date = Date()) -> String {
        switch status(of: version, at: now) {
        case .expired(let date): "\(version) (EXPIRED \(day(date)))"
        case .expiresSoon(let date, _): "\(version) (expires \(day(date))), soon"
        case .unknown: "\(version) (not a version Meta has published)"
        case .current:
            if let expires = releases.first(where: { $0.version == version })?.expires {
                "\(version) (expires \(day(expires)))"
            } else {
                "\(version) (no expiry announced)"
            }
        }
    }

    /// Logs a warning when `version` expired or expires within ``warningDays`` of `now`; says
    /// nothing otherwise.
    /// - Returns: whether it warned.
    @discardableResult
    public static func warnIfAging(_ version: String, channelType: String, logger: Logger, at now: Date = Date()) -> Bool {
        switch status(of: version, at: now) {
        case .expired(let date):
            logger.warning("\(channelType): Graph API \(version) expired on \(day(date)); Meta serves calls to an expired version as the oldest one still available, which may change or break replies. Set api_version to \(recommended)",
                           metadata: ["api_version": "\(version)", "expired": "\(day(date))"])
            return true
        case .expiresSoon(let date, let days):
            logger.warning("\(channelType): Graph API \(version) expires on \(day(date)), in \(days) days. Set api_version to \(recommended)",
                           metadata: ["api_version": "\(version)", "expires": "\(day(date))"])
            return true
        case .current, .unknown:
            return false
        }
    }

    /// `(major, minor)` of `vMAJOR.MINOR`.
    private static func number(of version: String) -> [Int]? {
        guard version.hasPrefix("v") else { return nil }
        let parts = version.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        return [major, minor]
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// A table row; dates are `yyyy-mm-dd`, midnight UTC.
    private static func release(_ version: String, _ released: String, _ expires: String?) -> Release {
        Release(version: version, released: date(released), expires: expires.map(date))
    }

    private static func date(_ text: String) -> Date {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))!
    }

    private static func day(_ date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}
