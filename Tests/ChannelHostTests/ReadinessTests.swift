import ChannelKit
import Foundation
import Synchronization
import Testing
@testable import ChannelHost

/// `/readyz` tells the truth: a channel whose sends have only failed for
/// `server.degraded_after_seconds`, and a mailer whose emails have, are `degraded`.
@Suite("Readiness")
struct ReadinessTests {
    final class Clock: Sendable {
        private let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var now: Date { time.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
    }

    static func board(_ clock: Clock) -> ChannelStatusBoard {
        let board = ChannelStatusBoard(channels: [("instagram", .live), ("whatsapp", .off)], degradedAfter: 300, now: { clock.now })
        board.serverStarted(port: 8080)
        return board
    }

    static func state(_ json: [String: Any], _ channel: String) -> [String: Any]? {
        (json["channels"] as? [String: Any])?[channel] as? [String: Any]
    }

    @Test("a channel whose sends have all failed for degraded_after_seconds is degraded with the platform's error; a success clears it")
    func channelDegrades() {
        let clock = Clock()
        let board = Self.board(clock)
        board.markDelivered(channel: "instagram")
        board.markSendFailed(channel: "instagram", error: "transient (platform code 2): Service temporarily unavailable")
        clock.advance(299)
        board.markSendFailed(channel: "instagram", error: "transient (platform code 2): Service temporarily unavailable")
        var report = board.readiness()
        #expect(report.ready)
        #expect(report.json["status"] as? String == "ready")
        #expect(Self.state(report.json, "instagram")?["state"] as? String == "ready")
        clock.advance(1)
        report = board.readiness()
        #expect(report.ready)
        #expect(report.json["status"] as? String == "degraded")
        #expect(Self.state(report.json, "instagram")?["state"] as? String == "degraded")
        #expect((Self.state(report.json, "instagram")?["detail"] as? String)?.contains("platform code 2") == true)
        #expect(Self.state(report.json, "whatsapp")?["state"] as? String == "off")
        board.markDelivered(channel: "instagram")
        report = board.readiness()
        #expect(report.json["status"] as? String == "ready")
        #expect(Self.state(report.json, "instagram")?["state"] as? String == "ready")
    }

    @Test("a mailer whose emails have all failed for degraded_after_seconds is degraded; a sent email clears it")
    func mailerDegrades() {
        let clock = Clock()
        let board = Self.board(clock)
        board.markMailFailed(error: "connection refused")
        clock.advance(300)
        var report = board.readiness()
        #expect(report.json["status"] as? String == "degraded")
        #expect(((report.json["mailer"] as? [String: Any])?["detail"] as? String)?.contains("connection refused") == true)
        board.markMailSent()
        report = board.readiness()
        #expect(report.json["status"] as? String == "ready")
        #expect(report.json["mailer"] == nil)
    }

    @Test("a store that cannot be reached makes the host unavailable (503) with the store's reason; a reachable one is reported as such")
    func storeUnreachable() {
        let board = Self.board(Clock())
        var report = board.readiness(storeProblem: "unavailable: no connection to PostgreSQL at db:5432/sandra within 2 seconds")
        #expect(!report.ready)
        #expect(report.json["status"] as? String == "unavailable")
        let store = report.json["store"] as? [String: Any]
        #expect(store?["state"] as? String == "unreachable")
        #expect((store?["detail"] as? String)?.contains("db:5432/sandra") == true)
        report = board.readiness(storeProblem: nil)
        #expect(report.ready)
        #expect((report.json["store"] as? [String: Any])?["state"] as? String == "reachable")
    }
}
