import Foundation

/// The rows of the PostgreSQL phases (4a, 4b) and of the cross-host wake-up phase (5); none
/// when the run skipped them (`BENCH_POSTGRES=0`).
extension Report {
    /// What the bench's PostgreSQL server was, for the machine line.
    static func postgresSetup(_ r: [String: String]) -> String? {
        guard let version = r["meta.pg_version"] else { return nil }
        return "PostgreSQL \(version), a throwaway server the bench starts, its data folder on \(r["meta.pg_fs"] ?? "?") "
            + "beside the SQLite files, durable as in production (\(r["meta.pg_settings"] ?? "?")); each host's pool at its default size (10)"
    }

    /// The webhook run on PostgreSQL and its ingestion ratio, beside the SQLite ones.
    static func postgresIngestionRows(_ r: [String: String], verdicts: inout [String]) -> [String] {
        guard r["pg_webhook.rps"] != nil else { return [] }
        func num(_ key: String) -> Double { Double(r[key] ?? "") ?? 0 }
        let wrapped = num("pg_webhook.wrapped") > 0 ? " · **bodies reused: \(int(num("pg_webhook.wrapped"))) wraps**" : ""
        var lines: [String] = []
        lines.append("| webhook on PostgreSQL (same wrk settings and bodies, fresh host and database) | \(rps(num("pg_webhook.rps"))) · p50 \(ms(num("pg_webhook.p50_us"))) · p99 \(ms(num("pg_webhook.p99_us"))) · \(int(num("pg_webhook.errors"))) errors\(wrapped)\(hostCPU(r, "pg_webhook"))\(serverCPU(r, "pg_webhook")) | — | — | — |")
        let ratio = num("bare.rps") > 0 ? num("pg_webhook.rps") / num("bare.rps") : 0
        let met = ratio >= ingestionRatioTarget && num("pg_webhook.errors") == 0
        lines.append("| ingestion / bare throughput, PostgreSQL (the bare route of phase 1) | \(String(format: "%.2f", ratio)) (\(int(num("pg_webhook.rps"))) / \(int(num("bare.rps")))) | ≥ \(String(format: "%.2f", ingestionRatioTarget)) | \(String(format: "%.2f×", ratio / ingestionRatioTarget)) | \(met ? "met" : "**missed**") |")
        if !met {
            verdicts.append("On PostgreSQL, ingestion reached \(String(format: "%.2f", ratio)) of the bare route's throughput (\(rps(num("pg_webhook.rps"))) vs \(rps(num("bare.rps")))); the target is at least \(String(format: "%.2f", ingestionRatioTarget))"
                            + (num("pg_webhook.errors") > 0 ? ", and \(int(num("pg_webhook.errors"))) webhook requests failed." : "."))
        }
        return lines
    }

    /// The end-to-end run on PostgreSQL, beside the SQLite one.
    static func postgresEndToEndRows(_ r: [String: String], verdicts: inout [String]) -> [String] {
        guard r["pg_e2e.sent"] != nil else { return [] }
        func num(_ key: String) -> Double { Double(r[key] ?? "") ?? 0 }
        let p99 = num("pg_e2e.p99_us")
        let allReplied = num("pg_e2e.replied") == num("pg_e2e.sent") && num("pg_e2e.sent") > 0
        let met = p99 < e2eP99TargetUs && allReplied
        var lines: [String] = []
        lines.append("| end to end at \(int(num("pg_e2e.rate"))) msg/s on PostgreSQL (same load, fresh host and database) | \(rps(num("pg_e2e.completed_rps"), unit: "msg/s")) completed (\(int(num("pg_e2e.replied")))/\(int(num("pg_e2e.sent"))) replied) · p50 \(ms(num("pg_e2e.p50_us"))) · p99 \(ms(p99)) · max \(ms(num("pg_e2e.max_us")))\(hostCPU(r, "pg_e2e", unit: "msg"))\(serverCPU(r, "pg_e2e", unit: "msg")) | p99 < 25 ms | \(String(format: "%.2f×", p99 / e2eP99TargetUs)) | \(met ? "met" : "**missed**") |")
        lines.append("| ack latency during the end-to-end run on PostgreSQL | p50 \(ms(num("pg_e2e.ack_p50_us"))) · p99 \(ms(num("pg_e2e.ack_p99_us"))) | — | — | — |")
        if !met {
            verdicts.append("On PostgreSQL, end to end at \(int(num("pg_e2e.rate"))) messages/s the p99 was \(ms(p99)) (p50 \(ms(num("pg_e2e.p50_us"))), \(int(num("pg_e2e.replied"))) of \(int(num("pg_e2e.sent"))) replied); the target is p99 under 25 ms with every message answered.")
        }
        return lines
    }

    /// The cross-host wake-up phase: reply-to-reply gaps on one host and across two, and what
    /// the other host's claim poll adds.
    static func wakeUpRows(_ r: [String: String]) -> [String] {
        guard r["wakeup.cross_measured"] != nil else { return [] }
        func num(_ key: String) -> Double { Double(r[key] ?? "") ?? 0 }
        let setup = "2 hosts, 1 PostgreSQL database; per conversation message 1 to one host, message 2 once it is acknowledged; "
            + "fake Graph API answers each send after \(int(num("wakeup.graph_delay_ms"))) ms; a conversation every \(int(num("wakeup.interval_ms"))) ms"
        let lost = num("wakeup.failed") + num("wakeup.missing") + num("wakeup.out_of_order")
        let problems = lost > 0
            ? " · **\(int(num("wakeup.failed"))) not accepted, \(int(num("wakeup.missing"))) without both replies, \(int(num("wakeup.out_of_order"))) out of order**"
            : ""
        return [
            "| reply-to-reply gap, message 2 to the same host (\(setup)) | \(int(num("wakeup.same_measured"))) conversations · p50 \(ms(num("wakeup.same_p50_us"))) · p99 \(ms(num("wakeup.same_p99_us"))) · max \(ms(num("wakeup.same_max_us")))\(problems) | — | — | — |",
            "| reply-to-reply gap, message 2 to the other host (same run, interleaved) | \(int(num("wakeup.cross_measured"))) conversations · p50 \(ms(num("wakeup.cross_p50_us"))) · p99 \(ms(num("wakeup.cross_p99_us"))) · max \(ms(num("wakeup.cross_max_us"))) | — | — | — |",
            "| cross-host wake-up delay: other-host gap − same-host median gap (claim poll 1 s) | p50 \(ms(num("wakeup.added_p50_us"))) · p99 \(ms(num("wakeup.added_p99_us"))) · max \(ms(num("wakeup.added_max_us"))) | — | — | — |",
        ]
    }

    /// ` · PostgreSQL CPU 120 µs/req` for a result that recorded `<name>.pg_cpu_us`, else nothing.
    static func serverCPU(_ results: [String: String], _ name: String, unit: String = "req") -> String {
        guard let micros = results["\(name).pg_cpu_us"].flatMap(Double.init) else { return "" }
        return " · PostgreSQL CPU \(int(micros)) µs/\(unit)"
    }
}
