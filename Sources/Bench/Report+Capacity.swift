import Foundation

/// The rows of the capacity search (the headline: the highest answered msg/s at which the
/// end-to-end p99 stays under its bound, on SQLite, one PostgreSQL host and two) and of the
/// memory phase (resident memory idle and after 10k and 100k answered messages).
extension Report {
    /// Resident memory of an idle host, at most (bytes; VmRSS).
    static let idleRSSTargetBytes = 40_000_000.0
    /// RSS after 100k answered messages, at most this much above RSS after 10k.
    static let rssGrowthTarget = 0.10

    /// The capacity searches that ran: result name and what it ran against.
    static let capacityRuns = [
        ("cap_sqlite", "SQLite, one host"),
        ("cap_pg1", "PostgreSQL, one host"),
        ("cap_pg2", "PostgreSQL, two hosts on one database (sender s always to host s mod 2: consecutive messages alternate)"),
    ]

    static func capacityRows(_ r: [String: String], verdicts: inout [String], targets: inout Int) -> [String] {
        func num(_ key: String) -> Double { Double(r[key] ?? "") ?? 0 }
        var lines: [String] = []
        for (name, setup) in capacityRuns where r["\(name).max_rps"] != nil {
            let best = num("\(name).max_rps")
            let bound = int(num("\(name).p99_bound_ms"))
            let ceiling = r["\(name).limited_by_max_rate"] == "true" ? " (no step failed: the search's ceiling)" : ""
            let failed = num("\(name).first_fail_rps") > 0 ? "; first failing step \(int(num("\(name).first_fail_rps"))) msg/s" : ""
            let cpu = hostCPU(r, name, unit: "msg") + serverCPU(r, name, unit: "msg")
            lines.append("| **headline: highest sustained answered msg/s with end-to-end p99 < \(bound) ms — \(setup)** "
                         + "(search: open-loop steps of \(r["\(name).step_seconds"] ?? "?") s, \(r["\(name).senders"] ?? "?") senders, echo assistant, one fake Graph API; "
                         + "a step passes when every message is answered within the drain window and p99 < \(bound) ms) | "
                         + (best > 0
                            ? "**\(rps(best, unit: "msg/s"))**\(ceiling) · at that step p50 \(ms(num("\(name).best_p50_us"))) · p99 \(ms(num("\(name).best_p99_us")))"
                            : "**no step passed** (the search's time ran out first)")
                         + "\(failed)\(cpu) · steps: \(r["\(name).steps"] ?? "?") | — | — | — |")
        }
        return lines
    }

    static func memoryRows(_ r: [String: String], verdicts: inout [String], targets: inout Int) -> [String] {
        guard r["rss.idle_kib"] != nil else { return [] }
        func num(_ key: String) -> Double { Double(r[key] ?? "") ?? 0 }
        let idle = num("rss.idle_kib") * 1024
        let after10k = num("rss.after10k_kib")
        let after100k = num("rss.after100k_kib")
        let growth = after10k > 0 ? after100k / after10k - 1 : 0
        let allAnswered = num("rss.answered10k") >= 10_000 && num("rss.answered100k") >= 100_000
        let idleMet = idle > 0 && idle <= idleRSSTargetBytes
        let growthMet = allAnswered && after10k > 0 && growth <= rssGrowthTarget
        targets += 2
        let setup = "SQLite, echo assistant, VmRSS from /proc/<pid>/status"
        var lines = [
            "| resident memory of an idle host (\(setup); after start-up and \(r["rss.settle_s"] ?? "?") s) | \(mb(idle)) | ≤ 40 MB | \(String(format: "%.2f×", idle / idleRSSTargetBytes)) | \(idleMet ? "met" : "**missed**") |",
            "| resident memory after 100k answered messages vs after 10k (open loop at \(int(num("rss.rate"))) msg/s, \(int(num("rss.answered10k"))) then \(int(num("rss.answered100k"))) answered) | \(mb(after10k * 1024)) → \(mb(after100k * 1024)) (\(String(format: "%+.1f%%", growth * 100))) | ≤ +10% | \(String(format: "%.2f×", max(growth, 0) / rssGrowthTarget)) | \(growthMet ? "met" : "**missed**") |",
        ]
        if !idleMet {
            verdicts.append("An idle host's resident memory was \(mb(idle)); the target is at most 40 MB.")
        }
        if !growthMet {
            verdicts.append("Resident memory went from \(mb(after10k * 1024)) after 10k answered messages to \(mb(after100k * 1024)) after 100k (\(String(format: "%+.1f%%", growth * 100)), \(int(num("rss.answered100k"))) answered); the target is at most +10% with every message answered.")
        }
        lines.append("| resident memory right after the 10k and 100k runs (before the settle) | \(mb(num("rss.busy10k_kib") * 1024)) · \(mb(num("rss.busy100k_kib") * 1024)) | — | — | — |")
        return lines
    }

    /// `12.3 MB` (10^6 bytes).
    static func mb(_ bytes: Double) -> String {
        String(format: "%.1f MB", bytes / 1_000_000)
    }
}
