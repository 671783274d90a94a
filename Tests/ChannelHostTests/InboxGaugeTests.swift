import ChannelIdentity
import ChannelKit
import ChannelKitTesting
import Foundation
import Logging
import Prometheus
import Testing
@testable import ChannelHost

/// The inbox gauges and the email counters on a Prometheus registry, as `/metrics` shows them.
@Suite("Inbox gauges and email counters")
struct InboxGaugeTests {
    @Test("one refresh sets each configured channel's count and oldest age per state; a state emptied since goes back to 0")
    func refresh() async throws {
        let registry = PrometheusCollectorRegistry()
        let store = InMemoryStore()
        let t0 = Date(timeIntervalSince1970: 1_760_000_000)
        _ = await store.accept([EventFactory.text("a", from: "u1", id: "i1", channel: "instagram")], at: t0)
        _ = await store.accept([EventFactory.text("b", from: "u2", id: "i2", channel: "instagram")], at: t0.addingTimeInterval(10))
        let failing = await store.accept([EventFactory.text("c", from: "u3", id: "w1", channel: "whatsapp")], at: t0.addingTimeInterval(20))
        _ = await store.accept([EventFactory.text("d", from: "u4", id: "g1", channel: "gone")], at: t0)
        _ = await store.claim(failing[0].id, leaseUntil: t0.addingTimeInterval(90), at: t0.addingTimeInterval(30))
        try await store.fail(failing[0].id, reason: "timeout", nextAttemptAt: t0.addingTimeInterval(300), countsAsAttempt: true,
                             at: t0.addingTimeInterval(31))
        let service = InboxGaugeService(store: store,
                                        gauges: InboxGauges(channels: ["instagram", "whatsapp"], factory: DescribedMetricsFactory(registry: registry)),
                                        interval: .seconds(5), logger: Logger(label: "test"))
        #expect(await service.refreshOnce(at: { t0.addingTimeInterval(100) }))
        var text = registry.emitToString()
        func value(_ name: String, _ channel: String, _ state: String) -> Double? {
            MetricsEndpointTests.value(text, #"\#(name){channel="\#(channel)",state="\#(state)"}"#)
        }
        #expect(value("sandra_inbox_items", "instagram", "received") == 2)
        #expect(value("sandra_inbox_oldest_age_seconds", "instagram", "received") == 100, "the oldest was received at t0")
        #expect(value("sandra_inbox_items", "whatsapp", "failed") == 1)
        #expect(value("sandra_inbox_oldest_age_seconds", "whatsapp", "failed") == 80, "counted from when it was received, not when it failed")
        #expect(value("sandra_inbox_items", "whatsapp", "received") == 0)
        #expect(value("sandra_inbox_items", "instagram", "dead") == 0)
        #expect(value("sandra_inbox_oldest_age_seconds", "instagram", "dead") == nil, "ages only for states that still wait")
        #expect(value("sandra_inbox_items", "instagram", "done") == nil, "done items only accumulate: not a gauge")
        #expect(!text.contains(#"channel="gone""#), "a channel not configured here is left out")

        #expect(await store.drop(failing[0].id, at: t0.addingTimeInterval(200)))
        #expect(await service.refreshOnce(at: { t0.addingTimeInterval(200) }))
        text = registry.emitToString()
        #expect(value("sandra_inbox_items", "whatsapp", "failed") == 0)
        #expect(value("sandra_inbox_oldest_age_seconds", "whatsapp", "failed") == 0)
        #expect(value("sandra_inbox_items", "instagram", "received") == 2)
    }

    @Test("emails sent and failed are counted by result")
    func emails() async throws {
        let registry = PrometheusCollectorRegistry()
        let base = RecordingMailer()
        base.failNextSends([MailerError(.unavailable, "connection refused")])
        let mailer = ObservedMailer(base: base, status: ChannelStatusBoard(channels: []),
                                    metrics: MailMetrics(factory: DescribedMetricsFactory(registry: registry)))
        let email = EmailMessage(to: "person@example.com", subject: "Your code", text: "123456")
        await #expect(throws: MailerError.self) { try await mailer.send(email, logger: Logger(label: "test")) }
        try await mailer.send(email, logger: Logger(label: "test"))
        try await mailer.send(email, logger: Logger(label: "test"))
        let text = registry.emitToString()
        #expect(MetricsEndpointTests.value(text, #"sandra_emails_total{result="sent"}"#) == 2)
        #expect(MetricsEndpointTests.value(text, #"sandra_emails_total{result="failed"}"#) == 1)
        #expect(text.contains("# HELP sandra_emails_total "))
    }
}
