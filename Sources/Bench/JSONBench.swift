import ArgumentParser
import ChannelKit
import Foundation
import StoreSupport

/// `SandraBench json`: what JSON costs the host per webhook and per stored event, measured in
/// process (no HTTP): each webhook body of ``JSONBenchBodies`` read by the hand-written reader
/// (`MetaJSON.decode`, then the parsers' field reads) and by `JSONDecoder` into `Codable`
/// models of the same fields; and the events the store keeps written by `StoredJSON` and
/// read back by `JSONDecoder`. Both readers must agree on every body before they are timed.
///
/// Times are the thread's CPU time per operation, the fastest of `--rounds` rounds (the
/// machine's other work inflates the slower ones). `--only` runs one loop and nothing else,
/// for `valgrind --tool=callgrind` or `perf stat` (see `docs/performance.md`).
struct JSONBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "json", abstract: "Time the webhook JSON readers and the stored JSON.")

    @Option(help: "Operations per round.") var iterations: Int = 20_000
    @Option(help: "Rounds; the fastest counts.") var rounds: Int = 7
    @Option(help: "The results file to append key=value lines to.") var results: String?
    @Option(help: "Run one loop only: reader, codable, stored-encode, stored-jsonencoder or stored-decode.") var only: Way?
    @Option(help: "With --only reader/codable: the body's index (0-3).") var body: Int = 0

    /// One measured loop.
    enum Way: String, ExpressibleByArgument, CaseIterable {
        case reader, codable
        case storedEncode = "stored-encode"
        /// The stored events written by `JSONEncoder` instead, for comparison.
        case storedJSONEncoder = "stored-jsonencoder"
        case storedDecode = "stored-decode"
    }

    func run() throws {
        let decoder = JSONDecoder()
        try checkAgreement(decoder: decoder)
        if let only {
            let operation = try self.operation(only, body: JSONBenchBodies.all[body], decoder: decoder)
            var sink = 0
            for _ in 0..<iterations { sink &+= try operation() }
            print("\(only.rawValue) \(iterations) times: \(sink)")
            return
        }
        var lines: [String] = []
        for (index, body) in JSONBenchBodies.all.enumerated() {
            let reader = try time(operation(.reader, body: body, decoder: decoder))
            let codable = try time(operation(.codable, body: body, decoder: decoder))
            print(body.name.padding(toLength: 32, withPad: " ", startingAt: 0)
                  + String(format: "%5d B  reader %7.0f ns  JSONDecoder %7.0f ns  (%.2f×)", body.bytes.count, reader, codable, codable / reader))
            lines.append("json.body\(index).name=\(body.name)")
            lines.append("json.body\(index).bytes=\(body.bytes.count)")
            lines.append("json.body\(index).reader_ns=\(Int(reader))")
            lines.append("json.body\(index).codable_ns=\(Int(codable))")
        }
        let events = Double(StoredEvents.all.count)
        let encode = try time(operation(.storedEncode, body: JSONBenchBodies.all[0], decoder: decoder)) / events
        let encoder = try time(operation(.storedJSONEncoder, body: JSONBenchBodies.all[0], decoder: decoder)) / events
        let decode = try time(operation(.storedDecode, body: JSONBenchBodies.all[0], decoder: decoder)) / events
        print(String(format: "stored event: StoredJSON.encode %.0f ns, JSONEncoder %.0f ns, read back (JSONDecoder) %.0f ns", encode, encoder, decode))
        lines.append("json.stored_encode_ns=\(Int(encode))")
        lines.append("json.stored_jsonencoder_ns=\(Int(encoder))")
        lines.append("json.stored_decode_ns=\(Int(decode))")
        if let results {
            try ResultsFile.append(lines, to: results)
        }
    }

    /// One operation of `way`; it returns a number so that the work cannot be optimized away.
    private func operation(_ way: Way, body: JSONBenchBodies.Body, decoder: JSONDecoder) throws -> () throws -> Int {
        let instagram = body.bytes.starts(with: Array(#"{"object":"instagram""#.utf8))
        let bytes = body.bytes
        switch way {
        case .reader:
            return instagram ? { try MetaJSONFields.instagram(bytes).count } : { try MetaJSONFields.whatsApp(bytes).count }
        case .codable:
            return instagram
                ? { try WebhookModels.instagram(bytes, decoder: decoder).count }
                : { try WebhookModels.whatsApp(bytes, decoder: decoder).count }
        case .storedEncode:
            let events = StoredEvents.all
            return { events.reduce(0) { $0 &+ StoredJSON.encode($1).utf8.count } }
        case .storedJSONEncoder:
            let events = StoredEvents.all
            let encoder = JSONEncoder()
            return { try events.reduce(0) { $0 &+ String(decoding: try encoder.encode($1), as: UTF8.self).utf8.count } }
        case .storedDecode:
            let rows = StoredEvents.all.map { StoredJSON.encode($0) }
            return {
                try rows.reduce(0) { count, row in
                    count &+ (try StoredValues.decode(InboundEvent.self, json: row, column: "event_json")).platformMessageID.utf8.count
                }
            }
        }
    }

    /// CPU nanoseconds per operation: the fastest round after one warm-up round.
    private func time(_ operation: () throws -> Int) throws -> Double {
        try CPUTimer.best(rounds: rounds, iterations: iterations, operation)
    }

    /// Both readers read the same fields from every body.
    private func checkAgreement(decoder: JSONDecoder) throws {
        for body in JSONBenchBodies.all {
            let instagram = body.bytes.starts(with: Array(#"{"object":"instagram""#.utf8))
            let reader = try instagram ? MetaJSONFields.instagram(body.bytes) : MetaJSONFields.whatsApp(body.bytes)
            let codable = try instagram
                ? WebhookModels.instagram(body.bytes, decoder: decoder)
                : WebhookModels.whatsApp(body.bytes, decoder: decoder)
            guard reader == codable, !reader.isEmpty else {
                throw BenchJSONError(description: "\(body.name): the readers disagree:\n\(reader)\n\(codable)")
            }
        }
    }
}
