import ArgumentParser
import ChannelKit
import ChannelRendering
import Foundation
import InstagramChannel
import WhatsAppChannel

/// `SandraBench render`: what rendering one reply costs the host, in process: the ~4 KB
/// Markdown reply of ``RenderBenchReply`` rendered and split by the host's renderer
/// (`MarkdownRenderer.render(_:for:)`, as the pipeline's reply composer calls it) with the
/// profiles the channels declare at their default limits — Instagram (plain text, 1,000 UTF-8
/// bytes a part) and WhatsApp (its dialect, 4,096 characters a part).
///
/// Times are the thread's CPU time per reply, the fastest of `--rounds` rounds. `--only` runs
/// one loop and nothing else, for `valgrind --tool=callgrind` or `perf stat`.
struct RenderBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "render", abstract: "Time rendering and splitting a 4 KB Markdown reply.")

    @Option(help: "Replies per round.") var iterations: Int = 2_000
    @Option(help: "Rounds; the fastest counts.") var rounds: Int = 7
    @Option(help: "The results file to append key=value lines to.") var results: String?
    @Option(help: "Run one channel's loop only: instagram or whatsapp.") var only: String?

    /// The channels measured: the result key and the channel's own profile.
    static let profiles: [(name: String, profile: ChannelProfile)] = [
        ("instagram", InstagramChannel.profile(maxMessageBytes: InstagramChannelFactory.defaultMaxMessageBytes)),
        ("whatsapp", WhatsAppChannel.profile()),
    ]

    func run() throws {
        let renderer = MarkdownRenderer()
        let markdown = RenderBenchReply.markdown
        var values: [(String, String)] = [("render.bytes", String(markdown.utf8.count))]
        for (name, profile) in Self.profiles where only == nil || only == name {
            let parts = renderer.render(markdown, for: profile)
            try check(parts, name: name, profile: profile)
            if only != nil {
                var sink = 0
                for _ in 0..<iterations { sink &+= renderer.render(markdown, for: profile).count }
                print("\(name) \(iterations) times: \(sink)")
                return
            }
            let nanos = CPUTimer.best(rounds: rounds, iterations: iterations) { renderer.render(markdown, for: profile).count }
            print("\(name): \(markdown.utf8.count) B of Markdown → \(parts.count) parts (\(parts.reduce(0) { $0 + $1.utf8.count }) B), "
                  + String(format: "%.1f µs per reply", nanos / 1000))
            values.append(("render.\(name).ns", String(Int(nanos))))
            values.append(("render.\(name).parts", String(parts.count)))
            values.append(("render.\(name).bytes_out", String(parts.reduce(0) { $0 + $1.utf8.count })))
        }
        if let results {
            try ResultsFile.append(values.map { "\($0.0)=\($0.1)" }, to: results)
        }
    }

    /// Every part fits the channel's limit and none is empty: the renderer did its job.
    private func check(_ parts: [String], name: String, profile: ChannelProfile) throws {
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty && profile.textLimit.fits($0) }) else {
            throw BenchJSONError(description: "\(name): the rendered parts do not fit the channel's limit")
        }
    }
}
