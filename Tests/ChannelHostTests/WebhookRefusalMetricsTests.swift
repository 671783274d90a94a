import Foundation
import Testing
@testable import ChannelHost

/// Refused webhooks on `/metrics`: an operator with the wrong app secret sees every delivery
/// refused, by reason, instead of counters that never move.
@Suite("Webhook refusals on /metrics")
struct WebhookRefusalMetricsTests {
    /// The value of `sandra_webhooks_refused_total` for the Instagram channel and `reason`.
    static func refused(_ metrics: String, _ reason: String) -> String? {
        let prefix = #"sandra_webhooks_refused_total{channel="instagram",reason="\#(reason)"} "#
        return metrics.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    @Test("a wrong signature, a wrong verify token, an oversized body and a signed non-webhook are each counted under their reason; nothing else moves")
    func refusalsCounted() async throws {
        try await withHost(yaml: EndToEndTests.yaml()) { host in
            let before = try await TestHTTP.get("\(host.baseURL)/metrics").text
            for reason in ["signature", "handshake", "size", "malformed", "other"] {
                #expect(Self.refused(before, reason) == "0", "\(reason) is listed at zero from the start")
            }

            let body = InstagramFixtures.body(sender: "4242", mid: "m.refused.1", text: "hello")
            let forged = try await EndToEndTests.post(host, body: body, signature: InstagramFixtures.signature(body, secret: "not-the-app-secret"))
            #expect(forged.status == 403)
            let forgedAgain = try await EndToEndTests.post(host, body: body, signature: "sha256=" + String(repeating: "0", count: 64))
            #expect(forgedAgain.status == 403)
            let handshake = try await TestHTTP.get("\(host.baseURL)/api/channels/instagram?hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong")
            #expect(handshake.status == 403)
            let oversized = Array(repeating: UInt8(ascii: " "), count: 70_000)   // over max_body_bytes: 65536
            #expect(try await EndToEndTests.post(host, body: oversized).status == 413)
            let notAWebhook = Array(#"{"hello":"world"}"#.utf8)
            #expect(try await EndToEndTests.post(host, body: notAWebhook).status == 400)

            let after = try await TestHTTP.get("\(host.baseURL)/metrics").text
            #expect(Self.refused(after, "signature") == "2")
            #expect(Self.refused(after, "handshake") == "1")
            #expect(Self.refused(after, "size") == "1")
            #expect(Self.refused(after, "malformed") == "1")
            #expect(Self.refused(after, "other") == "0")
            #expect(after.contains(#"sandra_webhook_events_total{channel="instagram",result="accepted"} 0"#), "nothing refused was accepted")
        }
    }
}
