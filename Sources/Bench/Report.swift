import ArgumentParser
import Foundation

/// Prints the run's table (markdown) and appends it, dated, to `docs/performance.md`.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Print the results table and append it to the doc.")

    @Option(help: "The run's results file (key=value lines).") var results: String
    @Option(help: "The document a dated section is appended to.") var doc: String?
    @Option(help: "Processing units available (nproc).") var nproc: String = String(ProcessInfo.processInfo.activeProcessorCount)

    // Targets (issue #19).
    static let ingestionRatioTarget = 0.40
    static let ackP99TargetUs = 10_000.0
    static let e2eP99TargetUs = 25_000.0
    /// The webhook route's host CPU per request, at most this multiple of the no-op route's.
    static let webhookCPURatioTarget = 2.0
    /// Host CPU per answered message (µs).
    static let cpuPerMessageTargetUs = 450.0

    func run() throws {
        let r = ResultsFile.read(results)
        func num(_ key: String) -> Double { Double(r[key] ?? "") ?? 0 }
        func text(_ key: String, _ fallback: String = "?") -> String { r[key] ?? fallback }

        let date = text("meta.date", ISO8601DateFormatter().string(from: Date()))
        var lines: [String] = []
        lines.append("## Run of \(date)")
        lines.append("")
        lines.append("Machine: \(nproc) CPUs (nproc), \(Self.cpuModel()), \(Self.memory()) RAM, Linux \(text("meta.kernel")); "
                     + "SQLite file on \(text("meta.storage_fs")); host and load generators share the same CPUs. "
                     + "Build: \(text("meta.commit")), Swift \(text("meta.swift")), release."
                     + (Self.postgresSetup(r).map { " \($0)." } ?? ""))
        lines.append("")
        lines.append("Load average (1, 5, 15 min) before the run: \(text("meta.load_before")); after: \(text("meta.load_after")). "
                     + "The run itself raises it; a 1-minute figure well above 0 before the run means other work shared the CPUs.")
        let otherLoad = num("meta.other_load_pct")
        if otherLoad >= 10 {
            lines.append("")
            lines.append("**Warning: other processes kept the CPUs up to \(Self.int(otherLoad))% busy between phases (sampled while the bench ran nothing); "
                         + "they competed with this run and the numbers understate the host.**")
        } else {
            lines.append("")
            lines.append("Other work on the machine between phases: at most \(Self.int(otherLoad))% CPU (1 s samples while the bench ran nothing).")
        }
        lines.append("")
        lines.append("| measurement | result | target | measured ÷ target | verdict |")
        lines.append("|---|---|---|---|---|")
        var verdicts: [String] = []
        var targets = 0
        lines.append(contentsOf: Self.capacityRows(r, verdicts: &verdicts, targets: &targets))

        let wrkSettings = "wrk \(text("bare.threads")) thread(s), \(text("bare.connections")) connections, \(text("bare.duration_s")) s, \(text("meta.body_bytes")) B bodies"
        lines.append("| bare route `POST /bench/ack` (\(wrkSettings)) | \(Self.rps(num("bare.rps"))) · p50 \(Self.ms(num("bare.p50_us"))) · p99 \(Self.ms(num("bare.p99_us"))) · \(Self.int(num("bare.errors"))) errors\(Self.hostCPU(r, "bare")) | — | — | — |")
        let wrapped = num("webhook.wrapped") > 0 ? " · **bodies reused: \(Self.int(num("webhook.wrapped"))) wraps**" : ""
        lines.append("| webhook `POST /api/channels/instagram` (same wrk settings, \(text("meta.wrk_senders")) senders, unique mids, SQLite on) | \(Self.rps(num("webhook.rps"))) · p50 \(Self.ms(num("webhook.p50_us"))) · p99 \(Self.ms(num("webhook.p99_us"))) · \(Self.int(num("webhook.errors"))) errors\(wrapped)\(Self.hostCPU(r, "webhook")) | — | — | — |")

        let ingestOnlyRatio = num("bare.rps") > 0 ? num("ingest_only.rps") / num("bare.rps") : 0
        lines.append("| diagnostic: webhook route with replies held back (fake Graph API never answers; fresh host, same wrk settings) | \(Self.rps(num("ingest_only.rps"))) · p50 \(Self.ms(num("ingest_only.p50_us"))) · p99 \(Self.ms(num("ingest_only.p99_us"))) · \(Self.int(num("ingest_only.errors"))) errors · \(String(format: "%.2f", ingestOnlyRatio)) of bare\(Self.hostCPU(r, "ingest_only")) | — | — | — |")

        targets += 3
        let ratio = num("bare.rps") > 0 ? num("webhook.rps") / num("bare.rps") : 0
        let ingestionMet = ratio >= Self.ingestionRatioTarget && num("webhook.errors") == 0
        lines.append("| ingestion / bare throughput, SQLite | \(String(format: "%.2f", ratio)) (\(Self.int(num("webhook.rps"))) / \(Self.int(num("bare.rps")))) | ≥ \(String(format: "%.2f", Self.ingestionRatioTarget)) | \(String(format: "%.2f×", ratio / Self.ingestionRatioTarget)) | \(ingestionMet ? "met" : "**missed**") |")
        if !ingestionMet {
            verdicts.append("Ingestion reached \(String(format: "%.2f", ratio)) of the bare route's throughput (\(Self.rps(num("webhook.rps"))) vs \(Self.rps(num("bare.rps")))); the target is at least \(String(format: "%.2f", Self.ingestionRatioTarget))"
                            + (num("webhook.errors") > 0 ? ", and \(Self.int(num("webhook.errors"))) webhook requests failed." : "."))
        }
        lines.append(contentsOf: Self.webhookCPURows(r, verdicts: &verdicts, targets: &targets))
        let postgresIngestion = Self.postgresIngestionRows(r, verdicts: &verdicts)
        lines.append(contentsOf: postgresIngestion)
        if !postgresIngestion.isEmpty { targets += 1 }

        lines.append("| floor: the same open-loop driver at \(Self.int(num("bare5000.rate")))/s against the bare route (achieved \(Self.rps(num("bare5000.achieved_rps"))), \(Self.int(num("bare5000.failed"))) failed) | p50 \(Self.ms(num("bare5000.p50_us"))) · p99 \(Self.ms(num("bare5000.p99_us"))) · max \(Self.ms(num("bare5000.max_us"))) · of which the driver's own send delay p99 \(Self.ms(num("bare5000.send_late_p99_us")))\(Self.hostCPU(r, "bare5000")) | — | — | — |")
        let ackP99 = num("ack5000.p99_us")
        let ackMet = ackP99 < Self.ackP99TargetUs && num("ack5000.failed") == 0 && num("ack5000.requests") > 0
        lines.append("| ack latency at \(Self.int(num("ack5000.rate")))/s (open loop, \(text("ack5000.duration_s")) s, from scheduled send; achieved \(Self.rps(num("ack5000.achieved_rps"))), \(Self.int(num("ack5000.failed"))) failed, peak \(text("ack5000.peak_connections")) connections) | p50 \(Self.ms(num("ack5000.p50_us"))) · p99 \(Self.ms(ackP99)) · p99.9 \(Self.ms(num("ack5000.p999_us"))) · max \(Self.ms(num("ack5000.max_us"))) · send delay p99 \(Self.ms(num("ack5000.send_late_p99_us")))\(Self.hostCPU(r, "ack5000")) | p99 < \(Self.int(Self.ackP99TargetUs / 1000)) ms | \(String(format: "%.2f×", ackP99 / Self.ackP99TargetUs)) | \(ackMet ? "met" : "**missed**") |")
        lines.append(contentsOf: Self.backlogRows(r))
        if r["ack_only5000.requests"] != nil {
            lines.append("| diagnostic: ack latency at \(Self.int(num("ack_only5000.rate")))/s with replies held back (fake Graph API never answers; fresh host; achieved \(Self.rps(num("ack_only5000.achieved_rps"))), \(Self.int(num("ack_only5000.failed"))) failed, peak \(text("ack_only5000.peak_connections")) connections) | p50 \(Self.ms(num("ack_only5000.p50_us"))) · p99 \(Self.ms(num("ack_only5000.p99_us"))) · p99.9 \(Self.ms(num("ack_only5000.p999_us"))) · max \(Self.ms(num("ack_only5000.max_us")))\(Self.hostCPU(r, "ack_only5000")) | — | — | — |")
        }
        if !ackMet {
            verdicts.append("At \(Self.int(num("ack5000.rate"))) webhooks/s the p99 acknowledgement latency was \(Self.ms(ackP99)) (p50 \(Self.ms(num("ack5000.p50_us"))), \(Self.int(num("ack5000.failed"))) failed); the target is p99 under \(Self.int(Self.ackP99TargetUs / 1000)) ms.")
        }

        let e2eP99 = num("e2e.p99_us")
        let allReplied = num("e2e.replied") == num("e2e.sent") && num("e2e.sent") > 0
        let e2eMet = e2eP99 < Self.e2eP99TargetUs && allReplied
        lines.append("| end to end at \(Self.int(num("e2e.rate"))) msg/s (open loop, \(text("e2e.duration_s")) s, \(text("e2e.senders")) senders, echo assistant, webhook sent → reply at fake Graph API; SQLite) | \(Self.rps(num("e2e.completed_rps"), unit: "msg/s")) completed (\(Self.int(num("e2e.replied")))/\(Self.int(num("e2e.sent"))) replied) · p50 \(Self.ms(num("e2e.p50_us"))) · p99 \(Self.ms(e2eP99)) · max \(Self.ms(num("e2e.max_us")))\(Self.hostCPU(r, "e2e", unit: "msg")) | p99 < 25 ms | \(String(format: "%.2f×", e2eP99 / Self.e2eP99TargetUs)) | \(e2eMet ? "met" : "**missed**") |")
        if !e2eMet {
            verdicts.append("End to end at \(Self.int(num("e2e.rate"))) messages/s the p99 was \(Self.ms(e2eP99)) (p50 \(Self.ms(num("e2e.p50_us"))), \(Self.int(num("e2e.replied"))) of \(Self.int(num("e2e.sent"))) replied); the target is p99 under 25 ms with every message answered.")
        }
        lines.append(contentsOf: Self.cpuPerMessageRows(r, verdicts: &verdicts, targets: &targets))
        lines.append("| ack latency during the end-to-end run | p50 \(Self.ms(num("e2e.ack_p50_us"))) · p99 \(Self.ms(num("e2e.ack_p99_us"))) | — | — | — |")
        let postgresEndToEnd = Self.postgresEndToEndRows(r, verdicts: &verdicts)
        lines.append(contentsOf: postgresEndToEnd)
        if !postgresEndToEnd.isEmpty { targets += 1 }
        lines.append(contentsOf: Self.wakeUpRows(r))
        lines.append(contentsOf: Self.memoryRows(r, verdicts: &verdicts, targets: &targets))
        lines.append(contentsOf: Self.jsonRows(r))
        lines.append(contentsOf: Self.renderRows(r, verdicts: &verdicts, targets: &targets))
        lines.append("| disk: 4 KiB append + fdatasync (\(text("fsync.count")) times, storage directory) | p50 \(Self.ms(num("fsync.append_p50_us"))) · p99 \(Self.ms(num("fsync.append_p99_us"))) · mean \(Self.ms(num("fsync.append_mean_us"))) | — | — | — |")
        lines.append("| disk: 4 KiB overwrite + fdatasync | p50 \(Self.ms(num("fsync.overwrite_p50_us"))) · p99 \(Self.ms(num("fsync.overwrite_p99_us"))) · mean \(Self.ms(num("fsync.overwrite_mean_us"))) | — | — | — |")
        lines.append("")
        lines.append("measured ÷ target: a throughput ratio meets its target at 1.00× or more, a latency below 1.00×.")
        lines.append("")
        if verdicts.isEmpty {
            lines.append("All \(targets) targets met in this run.")
        } else {
            lines.append("Targets missed in this run:")
            lines.append("")
            lines.append(contentsOf: verdicts.map { "- \($0)" })
        }
        lines.append("")
        let section = lines.joined(separator: "\n")
        print(section)

        guard let doc else { return }
        var existing = (try? String(contentsOfFile: doc, encoding: .utf8)) ?? "# Performance\n"
        if !existing.hasSuffix("\n") { existing += "\n" }
        existing += "\n" + section
        try existing.write(toFile: doc, atomically: true, encoding: .utf8)
    }

    /// ` · host CPU 74 µs/req` for a result that recorded `<name>.host_cpu_us`, else nothing.
    static func hostCPU(_ results: [String: String], _ name: String, unit: String = "req") -> String {
        guard let micros = results["\(name).host_cpu_us"].flatMap(Double.init) else { return "" }
        return " · host CPU \(int(micros)) µs/\(unit)"
    }

    static func ms(_ micros: Double) -> String {
        micros >= 10_000 ? String(format: "%.1f ms", micros / 1000) : String(format: "%.2f ms", micros / 1000)
    }

    static func int(_ value: Double) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.groupingSeparator = ","
        formatter.maximumFractionDigits = 0
        return formatter.string(from: NSNumber(value: value.rounded())) ?? String(Int(value))
    }

    static func rps(_ value: Double, unit: String = "req/s") -> String {
        "\(int(value)) \(unit)"
    }

    static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return "unknown CPU"
    }

    static func memory() -> String {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return "? GiB" }
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let kib = Double(line.split(separator: " ").dropFirst().first ?? "") ?? 0
            return String(format: "%.1f GiB", kib / 1_048_576)
        }
        return "? GiB"
    }
}
