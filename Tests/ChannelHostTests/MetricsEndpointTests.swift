import Foundation
import Testing
@testable import ChannelHost

/// `/metrics` as a dashboard reads it, from the real host: every family with its `# HELP` and
/// `# TYPE`, the latency histograms in seconds, and the inbox gauges.
@Suite("/metrics for dashboards")
struct MetricsEndpointTests {
    /// The families an operator's dashboard reads, with their Prometheus type.
    static let families: [String: String] = [
        "sandra_webhook_events_total": "counter", "sandra_replies_total": "counter", "sandra_reply_parts_sent_total": "counter",
        "sandra_send_retries_total": "counter", "sandra_assistant_failures_total": "counter",
        "sandra_webhooks_refused_total": "counter", "sandra_emails_total": "counter",
        "sandra_assistant_errors_total": "counter", "sandra_platform_errors_total": "counter",
        "sandra_webhook_ack_seconds": "histogram", "sandra_reply_seconds": "histogram", "sandra_assistant_seconds": "histogram",
        "sandra_platform_request_seconds": "histogram",
        "sandra_inbox_items": "gauge", "sandra_inbox_oldest_age_seconds": "gauge",
    ]

    /// `# HELP` and `# TYPE` lines of an exposition, by family name.
    static func comments(_ text: String, _ kind: String) -> [String: String] {
        var found: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("# \(kind) ") {
            let rest = line.dropFirst("# \(kind) ".count)
            guard let space = rest.firstIndex(of: " ") else { found[String(rest)] = ""; continue }
            found[String(rest[..<space])] = String(rest[rest.index(after: space)...])
        }
        return found
    }

    /// The value of the sample line starting with `prefix` (name and labels), as a number.
    static func value(_ text: String, _ prefix: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(prefix + " ") }.flatMap { Double($0.dropFirst(prefix.count + 1)) }
    }

    @Test("every family has # HELP text and its # TYPE, every sample belongs to a family, and one answered message moves the histograms")
    func helpAndHistograms() async throws {
        try await withHost(yaml: EndToEndTests.yaml(typingDelayMilliseconds: 0)) { host in
            let body = InstagramFixtures.body(sender: "4242", mid: "m.metrics.1", text: "hello")
            #expect(try await EndToEndTests.post(host, body: body).status == 200)
            await host.waitUntilIdle()
            let text = try await TestHTTP.get("\(host.baseURL)/metrics").text

            let help = Self.comments(text, "HELP")
            let types = Self.comments(text, "TYPE")
            #expect(!types.isEmpty)
            for (family, type) in types {
                #expect(!(help[family] ?? "").isEmpty, "\(family) has HELP text")
                #expect(["counter", "gauge", "histogram"].contains(type), "\(family): \(type)")
            }
            for (family, type) in Self.families {
                #expect(types[family] == type, "\(family) is listed as a \(type)")
            }
            for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.isEmpty {
                let name = String(line.prefix { $0 != "{" && $0 != " " })
                let family = ["_bucket", "_sum", "_count"].reduce(name) { name, suffix in
                    name.hasSuffix(suffix) && types[name] == nil ? String(name.dropLast(suffix.count)) : name
                }
                #expect(types[family] != nil, "\(name) belongs to a family with # TYPE")
            }

            let channel = #"channel="instagram""#
            #expect(Self.value(text, "sandra_webhook_ack_seconds_count{\(channel)}") == 1)
            #expect(Self.value(text, "sandra_reply_seconds_count{\(channel)}") == 1)
            #expect(Self.value(text, "sandra_assistant_seconds_count{\(channel)}") == 1)
            #expect(Self.value(text, #"sandra_platform_request_seconds_count{\#(channel),operation="send"}"#) == 1)
            #expect(Self.value(text, #"sandra_platform_request_seconds_count{\#(channel),operation="typing"}"#) == 1)
            #expect(Self.value(text, #"sandra_platform_errors_total{\#(channel),code="transient"}"#) == 0)
            #expect(Self.value(text, #"sandra_assistant_errors_total{\#(channel),code="unavailable"}"#) == 0)
            #expect(Self.value(text, #"sandra_emails_total{result="sent"}"#) == 0)
            // Buckets from 1 ms to 60 s, in seconds.
            #expect(Self.value(text, #"sandra_reply_seconds_bucket{\#(channel),le="0.001"}"#) != nil)
            #expect(Self.value(text, #"sandra_reply_seconds_bucket{\#(channel),le="60.0"}"#) == 1)
            #expect(Self.value(text, #"sandra_inbox_items{\#(channel),state="received"}"#) == 0)
            #expect(Self.value(text, #"sandra_inbox_oldest_age_seconds{\#(channel),state="failed"}"#) == 0)
        }
    }
}
