import ChannelKit
import ChannelKitTesting
import Foundation
import InstagramChannel
import MetaPlatform
import Testing

@Suite("Graph API versions")
struct GraphAPIVersionsTests {
    /// Midnight UTC of a `yyyy-mm-dd` day.
    static func day(_ text: String) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = text.split(separator: "-").compactMap { Int($0) }
        return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))!
    }

    @Test("the default is the newest published version, and it has no published expiry")
    func defaultIsNewest() {
        #expect(GraphAPIVersions.recommended == "v27.0")
        #expect(GraphAPIVersions.releases.first?.version == GraphAPIVersions.recommended)
        #expect(GraphAPIVersions.releases.map(\.released) == GraphAPIVersions.releases.map(\.released).sorted(by: >), "newest first")
        #expect(InstagramChannelFactory.defaultAPIVersion == GraphAPIVersions.recommended)
    }

    @Test("the banner's and check-config's words for a version: its expiry, soon, expired, none announced, unknown")
    func summary() {
        let now = Self.day("2026-12-07")
        #expect(GraphAPIVersions.summary(of: "v27.0", at: now) == "v27.0 (no expiry announced)")
        #expect(GraphAPIVersions.summary(of: "v24.0", at: now) == "v24.0 (expires 2028-02-18)")
        #expect(GraphAPIVersions.summary(of: "v21.0", at: now) == "v21.0 (expires 2027-01-21), soon")
        #expect(GraphAPIVersions.summary(of: "v19.0", at: now) == "v19.0 (EXPIRED 2026-05-21)")
        #expect(GraphAPIVersions.summary(of: "latest", at: now) == "latest (not a version Meta has published)")
    }

    @Test("expired, expiring within 60 days, current and unknown versions, on Meta's published dates")
    func status() {
        let now = Self.day("2026-12-07")
        #expect(GraphAPIVersions.status(of: "v19.0", at: now) == .expired(Self.day("2026-05-21")))
        #expect(GraphAPIVersions.status(of: "v20.0", at: now) == .expired(Self.day("2026-09-24")))
        #expect(GraphAPIVersions.status(of: "v21.0", at: now) == .expiresSoon(Self.day("2027-01-21"), days: 45))
        #expect(GraphAPIVersions.status(of: "v22.0", at: now) == .current)
        #expect(GraphAPIVersions.status(of: "v24.0", at: now) == .current)
        #expect(GraphAPIVersions.status(of: "v27.0", at: now) == .current, "no expiry published yet")
        #expect(GraphAPIVersions.status(of: "v2.8", at: now) == .expired(Self.day("2023-06-08")), "older than the table")
        #expect(GraphAPIVersions.status(of: "v99.0", at: now) == .unknown)
        #expect(GraphAPIVersions.status(of: "latest", at: now) == .unknown)
        // The 60-day window's edges.
        #expect(GraphAPIVersions.status(of: "v24.0", at: Self.day("2027-12-20")) == .expiresSoon(Self.day("2028-02-18"), days: 60))
        #expect(GraphAPIVersions.status(of: "v24.0", at: Self.day("2027-12-19")) == .current)
        #expect(GraphAPIVersions.status(of: "v24.0", at: Self.day("2028-02-18")) == .expired(Self.day("2028-02-18")))
    }

    @Test("a channel configured with an expired version warns at start; the default does not")
    func factoryWarns() throws {
        let capture = LogCapture()
        let context = ChannelContext(http: FakeTransport(body: "{}"), logger: capture.logger(label: "test"),
                                     localBaseURL: localBaseURL, sandboxMode: false)
        _ = try InstagramChannelFactory().makeChannel(name: "instagram", settings: settings(["api_version": "v19.0"]), context: context)
        let warnings = capture.entries.filter { $0.hasPrefix("warning") && $0.contains("Graph API v19.0 expired on 2026-05-21") }
        #expect(warnings.count == 1, "\(capture.text)")
        #expect(warnings.first?.contains("Set api_version to v27.0") == true)

        let quiet = LogCapture()
        let quietContext = ChannelContext(http: FakeTransport(body: "{}"), logger: quiet.logger(label: "test"),
                                          localBaseURL: localBaseURL, sandboxMode: false)
        _ = try InstagramChannelFactory().makeChannel(name: "instagram", settings: settings(["api_version": ""]), context: quietContext)
        #expect(!quiet.text.contains("Graph API"), "\(quiet.text)")
    }

    @Test("the warning names the day and the days left")
    func warningWording() {
        let capture = LogCapture()
        let warned = GraphAPIVersions.warnIfAging("v21.0", channelType: "whatsapp", logger: capture.logger(label: "test"),
                                                  at: Self.day("2026-12-07"))
        #expect(warned)
        #expect(capture.text.contains("whatsapp: Graph API v21.0 expires on 2027-01-21, in 45 days"))
        #expect(!GraphAPIVersions.warnIfAging("v25.0", channelType: "whatsapp", logger: capture.logger(label: "test"),
                                              at: Self.day("2026-12-07")))
    }
}
