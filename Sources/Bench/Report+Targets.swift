import Foundation

/// Rows of issue #19's targets measured from the other phases' figures: the webhook route's
/// host CPU against the no-op route's, the reply backlog after the acknowledgement burst,
/// host CPU per answered message, and rendering one reply.
extension Report {
    /// Rendering and splitting the 4 KB reply, under this (ns).
    static let renderTargetNs = 100_000.0

    static func webhookCPURows(_ r: [String: String], verdicts: inout [String], targets: inout Int) -> [String] {
        func num(_ key: String) -> Double { Double(r[key] ?? "") ?? 0 }
        guard num("bare.host_cpu_us") > 0, r["webhook.host_cpu_us"] != nil else { return [] }
        targets += 1
        let ratio = num("webhook.host_cpu_us") / num("bare.host_cpu_us")
        let met = ratio <= webhookCPURatioTarget
        if !met {
            verdicts.append("The webhook route took \(String(format: "%.2f", ratio))× the no-op route's host CPU per request (\(int(num("webhook.host_cpu_us"))) vs \(int(num("bare.host_cpu_us"))) µs); the target is at most 2×.")
        }
        return ["| host CPU per request, webhook route ÷ no-op route (phase 1, replies running) | \(String(format: "%.2f", ratio)) (\(int(num("webhook.host_cpu_us"))) / \(int(num("bare.host_cpu_us"))) µs) | ≤ 2× | \(String(format: "%.2f×", ratio / webhookCPURatioTarget)) | \(met ? "met" : "**missed**") |"]
    }

    static func backlogRows(_ r: [String: String]) -> [String] {
        guard let owed = r["ack5000.backlog_at_end"].flatMap(Double.init) else { return [] }
        let left = Double(r["ack5000.backlog_left"] ?? "") ?? 0
        let drain = Double(r["ack5000.backlog_drain_ms"] ?? "") ?? 0
        let took = drain >= 1000 ? String(format: "%.1f s", drain / 1000) : ms(drain * 1000)
        let drained = left > 0 ? "**\(int(left)) still unanswered after the wait**" : "all sent \(took) later"
        return ["| processing lag after the \(int(Double(r["ack5000.rate"] ?? "") ?? 0))/s burst: replies not yet sent when the last webhook was acknowledged, and the time to send them | \(int(owed)) messages behind · \(drained) | — | — | — |"]
    }

    static func cpuPerMessageRows(_ r: [String: String], verdicts: inout [String], targets: inout Int) -> [String] {
        guard let micros = r["e2e.host_cpu_us"].flatMap(Double.init) else { return [] }
        targets += 1
        let met = micros <= cpuPerMessageTargetUs
        if !met {
            verdicts.append("An answered message took \(int(micros)) µs of host CPU (end to end at \(r["e2e.rate"] ?? "?") msg/s, SQLite); the target is at most 450 µs.")
        }
        return ["| host CPU per answered message (the end-to-end run on SQLite: the host's CPU time ÷ replies at the fake Graph API, warm-up included) | \(int(micros)) µs/msg | ≤ 450 µs | \(String(format: "%.2f×", micros / cpuPerMessageTargetUs)) | \(met ? "met" : "**missed**") |"]
    }

    static func renderRows(_ r: [String: String], verdicts: inout [String], targets: inout Int) -> [String] {
        guard r["render.bytes"] != nil else { return [] }
        func num(_ key: String) -> Double { Double(r[key] ?? "") ?? 0 }
        var lines: [String] = []
        for (name, channel, limit) in [("instagram", "Instagram", "plain text, ≤ 1,000 UTF-8 bytes a part"),
                                       ("whatsapp", "WhatsApp", "its dialect, ≤ 4,096 characters a part")] {
            guard r["render.\(name).ns"] != nil else { continue }
            targets += 1
            let nanos = num("render.\(name).ns")
            let met = nanos < renderTargetNs
            if !met {
                verdicts.append("Rendering and splitting the \(int(num("render.bytes"))) B Markdown reply for \(channel) took \(String(format: "%.1f", nanos / 1000)) µs; the target is under 100 µs.")
            }
            lines.append("| a \(int(num("render.bytes"))) B Markdown reply rendered and split for \(channel) (\(limit); `MarkdownRenderer` with the channel's profile; thread CPU per reply) | \(String(format: "%.1f µs", nanos / 1000)) · \(int(num("render.\(name).parts"))) part\(num("render.\(name).parts") == 1 ? "" : "s"), \(int(num("render.\(name).bytes_out"))) B | < 100 µs | \(String(format: "%.2f×", nanos / renderTargetNs)) | \(met ? "met" : "**missed**") |")
        }
        return lines
    }
}
